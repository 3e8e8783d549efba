#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe replay-rejected [--message=ID] [--dry-run]`: dead letters valid by now go to
/// sc.sc_user_event, once.
int replay_rejected_command(const invocation& inv);

} // namespace scpipe::cli
