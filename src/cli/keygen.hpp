#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe keygen NAME`: a new CURVE key pair, as NAME.key (public certificate) and
/// NAME.key_secret (secret certificate, mode 0600).
int keygen_command(const invocation& inv);

} // namespace scpipe::cli
