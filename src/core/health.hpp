#pragma once

#include <mutex>
#include <string>

namespace scpipe {

/// What /readyz reports: the actors say what they see, the HTTP server reads it (any thread).
/// Ready means the broker socket is bound, the database was reachable on the last try and has the
/// schema this binary needs (migrated, and not by a newer scpipe).
class service_health {
public:
  void broker_bound(bool bound) {
    std::lock_guard guard{mutex_};
    broker_bound_ = bound;
  }
  void database_reachable() {
    std::lock_guard guard{mutex_};
    database_state_ = "";
  }
  void database_unreachable(std::string error) {
    std::lock_guard guard{mutex_};
    database_state_ = "database unreachable: " + std::move(error);
  }

  /// What db::schema_mismatch said at the last connection ("" when the schema is the binary's).
  /// Returns whether that changed, so the news is logged once, not per connection.
  bool schema_state(std::string mismatch) {
    std::lock_guard guard{mutex_};
    bool changed = schema_state_ != mismatch;
    schema_state_ = std::move(mismatch);
    return changed;
  }

  /// Empty when ready; otherwise every reason it is not, one per line.
  std::string not_ready_reasons() const {
    std::lock_guard guard{mutex_};
    std::string out;
    if (!broker_bound_)
      out += "broker socket not bound\n";
    if (!database_state_.empty())
      out += database_state_ + "\n";
    else if (!schema_state_.empty())
      out += schema_state_ + "\n";
    return out;
  }

  /// The process's health, which /readyz reports.
  static service_health& global() {
    static service_health instance;
    return instance;
  }

private:
  mutable std::mutex mutex_;
  bool broker_bound_ = false;
  std::string database_state_ = "database not tried yet";
  std::string schema_state_;
};

} // namespace scpipe
