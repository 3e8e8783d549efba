#include "cli/signal_pipe.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace scpipe::cli {

signal_pipe::signal_pipe() {
  if (pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0)
    throw std::runtime_error{std::string{"pipe: "} + std::strerror(errno)};
  write_fd_ = fds_[1];
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

signal_pipe::~signal_pipe() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
  write_fd_ = -1;
  close(fds_[0]);
  close(fds_[1]);
}

void signal_pipe::on_signal(int) {
  auto saved = errno;
  char byte = 1;
  if (write_fd_ >= 0 && write(write_fd_, &byte, 1) < 0) {
    // full: a signal is pending already
  }
  errno = saved;
}

} // namespace scpipe::cli
