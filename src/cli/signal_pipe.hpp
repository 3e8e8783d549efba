#pragma once

#include <csignal>

namespace scpipe::cli {

/// SIGINT and SIGTERM write a byte to a pipe the poll loop watches (no race between a check
/// and the wait, nothing done inside the handler); the previous handlers come back after.
class signal_pipe {
public:
  signal_pipe();
  ~signal_pipe();

  signal_pipe(const signal_pipe&) = delete;
  signal_pipe& operator=(const signal_pipe&) = delete;

  int fd() const {
    return fds_[0];
  }

private:
  static void on_signal(int);

  static inline volatile sig_atomic_t write_fd_ = -1;
  int fds_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

} // namespace scpipe::cli
