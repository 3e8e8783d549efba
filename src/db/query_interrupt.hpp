#pragma once

#include <pqxx/connection>

#include <mutex>

namespace scpipe::db {

/// Lets another thread (the supervisor's, at shutdown) cancel the statement a detached actor is
/// blocked in, and keeps that actor from starting another. The actor brackets its database
/// work with running_on(&conn) ... running_on(nullptr) (see query_interrupt::scope).
class query_interrupt {
public:
  /// Cancels the statement in progress, if any, and every later one.
  void stop();
  /// Whether stop() was called.
  bool stopped() const;
  /// The connection work is about to use (nullptr: none); false when already stopped.
  bool running_on(pqxx::connection* conn);

  /// Clears the connection when the work ends, however it ends.
  struct scope {
    query_interrupt& interrupt;
    ~scope() {
      interrupt.running_on(nullptr);
    }
  };

private:
  mutable std::mutex mutex_;
  pqxx::connection* conn_ = nullptr;
  bool stopped_ = false;
};

} // namespace scpipe::db
