#pragma once

#include "core/config.hpp"

#include <pqxx/connection>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace scpipe::cli {

/// For a command's database work: while alive, SIGINT and SIGTERM cancel the statement running
/// on `conn` on the server (a cancel request) instead of killing the process with the statement
/// still going there; the command's statement then fails, the command reports it, and main()
/// exits 128 + the signal (interrupted_by()). A statement that waits for a lock longer than two
/// seconds is reported once per holder, naming the session that holds it. A second signal exits
/// at once.
///
///   main thread:   [ statement on conn ..................... fails: cancelled ]
///   watch thread:  signalfd(SIGINT, SIGTERM), 0.5 s ─▶ PQcancel(conn); woken at once when done
///                  every 2 s: pg_blocking_pids(conn) over a second connection ─▶ stderr
class command_interrupt {
public:
  /// `command` names the command in messages ("scpipe etl"); `database` opens the observer
  /// connection for the lock report.
  command_interrupt(std::string command, pqxx::connection& conn, database_config database);
  ~command_interrupt();

  command_interrupt(const command_interrupt&) = delete;
  command_interrupt& operator=(const command_interrupt&) = delete;

  /// The signal that interrupted a command of this process, or 0.
  static int interrupted_by();

private:
  void watch();
  int next_signal(int signal_fd) const;

  std::string command_;
  pqxx::connection& conn_;
  database_config database_;
  int backend_pid_;
  std::atomic<bool> done_{false};
  int wake_fd_ = -1; ///< eventfd written by the destructor: the watch thread stops at once
  std::thread thread_;
};

} // namespace scpipe::cli
