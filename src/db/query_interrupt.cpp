#include "db/query_interrupt.hpp"

#include "core/log.hpp"

namespace scpipe::db {

void query_interrupt::stop() {
  std::lock_guard guard{mutex_};
  stopped_ = true;
  if (conn_) {
    try {
      conn_->cancel_query(); // libpq's cancel request: safe from another thread
    } catch (const std::exception& e) {
      log::warn("database", "could not cancel a running statement", {{"error", e.what()}});
    }
  }
}

bool query_interrupt::stopped() const {
  std::lock_guard guard{mutex_};
  return stopped_;
}

bool query_interrupt::running_on(pqxx::connection* conn) {
  std::lock_guard guard{mutex_};
  conn_ = stopped_ ? nullptr : conn;
  return !stopped_;
}

} // namespace scpipe::db
