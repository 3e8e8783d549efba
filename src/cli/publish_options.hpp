#pragma once

// `scpipe publish`'s options: the flags' definitions (for the parser and the help) and what
// they parse into.

#include "cli/commands.hpp"
#include "core/curve_keys.hpp"
#include "core/publish_window.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

/// What publish's flags say.
struct publish_options {
  size_t batch = batch_flag.fallback;
  window_settings window;
  std::optional<std::string> id_prefix; ///< nothing: a random one
  /// The services to send to: --endpoint, repeatable; when none is given, broker.endpoint.
  std::vector<std::string> endpoints;
  bool endpoints_given = false;

  /// The endpoints as messages name them: "tcp://a:5555, tcp://b:5555".
  std::string endpoint_list() const {
    std::string out;
    for (const auto& e : endpoints)
      out += (out.empty() ? "" : ", ") + e;
    return out;
  }
  /// CURVE: this client's key pair and the service's public key; nothing: plain TCP.
  std::optional<curve_key_pair> client_key;
  std::string server_key;
};

/// Parses and checks the flags (CURVE key files are read); what is wrong, naming the flag.
std::variant<publish_options, std::string> parse_options(const invocation& inv);

/// 32 random hex digits: message ids unique to this run (--id-prefix's default).
std::string random_prefix();

} // namespace scpipe::cli
