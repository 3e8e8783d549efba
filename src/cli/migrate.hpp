#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe migrate`: applies the pending sql/ migrations, prints what it applied.
int migrate_command(const invocation& inv);

} // namespace scpipe::cli
