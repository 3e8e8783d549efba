#pragma once

// `scpipe run` as integration tests start it, and waiting for a condition without a fixed sleep.

#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scpipe::test {

/// Asks `done` every 20 ms until it holds or `timeout` passes; false on timeout.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

/// `scpipe run` on its own broker endpoint and HTTP port, with `env` (which may override
/// either, and the ETL interval, a day unless set). Started by the constructor, which waits
/// through /readyz: until it answers 200, or, for a service meant to run without a usable
/// database (`until_ready` false), until its broker socket is bound. Killed when destroyed.
class running_service {
public:
  explicit running_service(std::map<std::string, std::string> env, bool until_ready = true);
  /// On `db`, with `extra_env` on top of its environment.
  explicit running_service(const test_database& db,
                           std::map<std::string, std::string> extra_env = {},
                           bool until_ready = true);

  /// Starts the service (again, after it exited) with the same environment, and waits for it.
  void start();
  /// SIGTERM; the exit code, or nothing if it still runs after `timeout`.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds{30});

  /// GET /readyz: status and body.
  http_reply readiness() const;
  /// A metric's value from /metrics (the sum over its series); -1 when it cannot be read.
  double metric(const std::string& name) const;
  /// The log lines at level error.
  std::vector<std::string> errors() const;

  std::string endpoint;
  int http_port;
  std::map<std::string, std::string> env;
  std::unique_ptr<process> svc;

private:
  bool until_ready_;
};

} // namespace scpipe::test
