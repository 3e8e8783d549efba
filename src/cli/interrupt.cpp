#include "cli/interrupt.hpp"

#include "db/connection.hpp"
#include "db/lock_wait.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>

namespace scpipe::cli {

namespace {

std::atomic<int> interrupting_signal{0};

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

} // namespace

command_interrupt::command_interrupt(std::string command, pqxx::connection& conn,
                                     database_config database)
    : command_{std::move(command)}, conn_{conn}, database_{std::move(database)},
      backend_pid_{conn.backendpid()} {
  // Blocked here, the signals wait for sigtimedwait in the watch thread (which inherits the
  // mask): no handler runs in the middle of libpq.
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  thread_ = std::thread{[this] { watch(); }};
}

command_interrupt::~command_interrupt() {
  done_ = true;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    // Should the write fail, the watch thread still sees done_ within half a second.
    [[maybe_unused]] auto written = write(wake_fd_, &one, sizeof one);
  }
  thread_.join();
  if (wake_fd_ >= 0)
    close(wake_fd_);
  auto set = stop_signals();
  // A signal that came after the statement ended is still pending: unblocked, it would kill the
  // process before main() can say so; take it here instead.
  timespec none{0, 0};
  if (int sig = sigtimedwait(&set, nullptr, &none); sig > 0)
    interrupting_signal = sig;
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

int command_interrupt::interrupted_by() {
  return interrupting_signal;
}

/// Waits up to half a second for SIGINT or SIGTERM, returning as soon as `wake_fd` is written
/// (the command is done): the signal, or 0.
int command_interrupt::next_signal(int signal_fd) const {
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  if (poll(fds, wake_fd_ < 0 ? 1 : 2, 500) <= 0 || !(fds[0].revents & POLLIN))
    return 0;
  signalfd_siginfo info{};
  if (read(signal_fd, &info, sizeof info) != sizeof info)
    return 0;
  return static_cast<int>(info.ssi_signo);
}

void command_interrupt::watch() {
  auto set = stop_signals();
  auto started = std::chrono::steady_clock::now();
  auto next_look = started + std::chrono::seconds{2};
  std::unique_ptr<db::connection> observer;
  std::string reported;
  bool reporting = true;
  // The signals are blocked in every thread: they stay pending until read here.
  int signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
  while (!done_) {
    int sig = 0;
    if (signal_fd >= 0) {
      sig = next_signal(signal_fd);
    } else {
      timespec tick{0, 500'000'000};
      sig = sigtimedwait(&set, nullptr, &tick);
    }
    if (sig > 0 && interrupting_signal != 0) {
      std::cerr << command_ << ": a second signal: exiting now\n";
      std::_Exit(128 + sig);
    }
    if (sig > 0) {
      interrupting_signal = sig;
      try {
        conn_.cancel_query(); // libpq's cancel request: made for another thread
      } catch (const std::exception& e) {
        std::cerr << command_
                  << ": could not cancel the statement on the server: " << db::one_line(e.what())
                  << '\n';
      }
      continue;
    }
    if (!reporting || interrupting_signal != 0 || done_
        || std::chrono::steady_clock::now() < next_look)
      continue;
    next_look += std::chrono::seconds{2};
    try {
      if (!observer)
        observer = std::make_unique<db::connection>(database_, command_ + " (lock report)");
      auto holders = db::lock_holders(observer->get(), backend_pid_);
      if (!holders.empty() && holders != reported)
        std::cerr << command_ << ": waiting for a lock held by " << holders
                  << " (Ctrl-C cancels)\n";
      reported = holders;
    } catch (const std::exception&) {
      reporting = false; // only a report: without it the command goes on as before
      observer.reset();
    }
  }
  if (signal_fd >= 0)
    close(signal_fd);
}

} // namespace scpipe::cli
