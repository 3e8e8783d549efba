#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe report [--out=DIR]`: the analysts' first-week-login report, as HTML with SVG charts
/// and as CSV.
int report_command(const invocation& inv);

} // namespace scpipe::cli
