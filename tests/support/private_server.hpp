#pragma once

// A PostgreSQL server of one test's own, for tests that stop or restart the server: the shared
// server of the PG* environment must stay up for every other test.

#include <optional>
#include <string>
#include <vector>

namespace scpipe::test {

class private_server {
public:
  /// Why no private server can be started here (no initdb, or running as root without a
  /// `postgres` user to run it as); nullopt when one can.
  static std::optional<std::string> unavailable();

  /// initdb in a new temporary directory (trust authentication, superuser `postgres`, UTF8, C
  /// locale, fsync off), then starts the server on a free port of 127.0.0.1. As root, the
  /// server runs as the `postgres` user. Throws std::runtime_error with the tool's output.
  private_server();
  /// Stops the server (immediate) and removes the directory.
  ~private_server();

  private_server(const private_server&) = delete;
  private_server& operator=(const private_server&) = delete;

  int port() const {
    return port_;
  }

  /// A libpq connection string for `dbname` on this server.
  std::string conninfo(const std::string& dbname) const;

  /// `pg_ctl restart -m fast`; returns once the server accepts connections again.
  void restart();
  /// `pg_ctl stop -m fast`; returns once the server is down.
  void stop();
  /// `pg_ctl start`; returns once the server accepts connections.
  void start();

private:
  /// Runs a PostgreSQL tool (as `postgres` when root); throws on a non-zero exit.
  void tool(const std::string& name, std::vector<std::string> args) const;

  std::string dir_;
  int port_ = 0;
};

} // namespace scpipe::test
