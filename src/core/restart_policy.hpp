#pragma once

#include "core/config.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>

namespace scpipe {

/// The supervisor's restart decisions, kept free of CAF so they can be tested on their own.
///
/// - Backoff: a child's n-th restart within the window waits initial * 2^(n-1), capped at max;
///   a child that stayed up for a whole window starts again at the initial delay.
/// - Intensity: when `max_restarts` restarts (of any children) already happened within the
///   window, the next failure is one too many: the supervisor gives up.
class restart_policy {
public:
  using clock = std::chrono::steady_clock;

  struct settings {
    std::chrono::milliseconds backoff_initial{supervisor_config{}.restart_backoff_initial_ms};
    std::chrono::milliseconds backoff_max{supervisor_config{}.restart_backoff_max_ms};
    size_t max_restarts = static_cast<size_t>(supervisor_config{}.max_restarts);
    std::chrono::seconds window{supervisor_config{}.restart_window_s};
  };

  explicit restart_policy(settings s) : settings_{s} {}

  /// Records that `child` failed at `now`. Returns how long to wait before restarting it, or
  /// nothing when the restart intensity is exceeded and the supervisor must give up.
  std::optional<std::chrono::milliseconds> on_failure(const std::string& child,
                                                      clock::time_point now);

  /// Restarts counted within the window ending at `now`.
  size_t restarts_in_window(clock::time_point now);

private:
  struct restart {
    clock::time_point at;
    std::string child;
  };

  void forget_before(clock::time_point now);

  settings settings_;
  std::deque<restart> recent_;
};

} // namespace scpipe
