#pragma once

#include "cli/commands.hpp"
#include "core/publish_window.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace scpipe::cli {

/// A numeric flag of `scpipe publish`: name, bounds and default, in one place for the parser
/// and the help.
struct integer_flag {
  std::string_view name;
  int64_t min;
  int64_t max;
  int64_t fallback;

  /// "1..100000, default 1000", as the help writes it.
  std::string range_text() const {
    return std::to_string(min) + ".." + std::to_string(max) + ", default "
           + std::to_string(fallback);
  }
};

inline constexpr integer_flag batch_flag{"--batch", 1, 100000, 1000};
inline constexpr integer_flag window_flag{"--window", 1, 10000,
                                          static_cast<int64_t>(window_settings{}.capacity)};
inline constexpr integer_flag timeout_flag{"--timeout-ms", 1, 86400000,
                                           window_settings{}.reply_timeout.count()};
inline constexpr integer_flag attempts_flag{"--max-attempts", 0, 1000000,
                                            static_cast<int64_t>(window_settings{}.max_attempts)};

/// `scpipe publish FILE...`: sends events to a running service (docs/protocol.md) and waits for
/// every reply; prints a summary.
int publish_command(const invocation& inv);

} // namespace scpipe::cli
