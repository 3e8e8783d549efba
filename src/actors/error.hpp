#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <string>

namespace scpipe {

/// The error codes scpipe's actors exchange as `caf::error` (category `scpipe`).
enum class ec : uint8_t {
  /// Not an error; reserved so that no code is 0.
  unspecified = 1,
  /// A child failed more often than the supervisor's restart intensity allows.
  restart_intensity_exceeded,
  /// A child did not stop within the supervisor's stop timeout and was killed.
  stop_timeout,
};

/// The atom naming scpipe's error category.
constexpr caf::atom_value error_category = caf::atom("scpipe");

/// Builds an error of scpipe's category with a human-readable context.
caf::error make_error(ec code, std::string context);

/// Builds an error of scpipe's category without context (also used for comparisons).
caf::error make_error(ec code);

/// The name of an error code, e.g. "restart_intensity_exceeded".
const char* to_string(ec code);

/// Renders any CAF error for logs: scpipe errors as "name: context", others via CAF.
std::string render(const caf::error& err);

/// Registers the renderer of scpipe's error category with an actor system configuration.
void add_error_category(caf::actor_system_config& cfg);

} // namespace scpipe
