#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe publish FILE...`: sends events to a running service (docs/protocol.md) and waits for
/// every reply; prints a summary.
int publish_command(const invocation& inv);

} // namespace scpipe::cli
