#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe seed`: the example data of seed/ through the whole pipeline, against a running
/// service (for the events).
int seed_command(const invocation& inv);

} // namespace scpipe::cli
