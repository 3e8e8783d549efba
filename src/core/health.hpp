#pragma once

#include <mutex>
#include <string>

namespace scpipe {

/// What /readyz reports: the actors say what they see, the HTTP server reads it (any thread).
/// Ready means the broker socket is bound and the database was reachable on the last try.
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

  /// Empty when ready; otherwise every reason it is not, one per line.
  std::string not_ready_reasons() const {
    std::lock_guard guard{mutex_};
    std::string out;
    if (!broker_bound_)
      out += "broker socket not bound\n";
    if (!database_state_.empty())
      out += database_state_ + "\n";
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
};

} // namespace scpipe
