#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe etl [--full]`: one user-ETL run now; prints its summary.
int etl_command(const invocation& inv);

} // namespace scpipe::cli
