#pragma once

#include <string_view>

namespace scpipe {

/// scpipe's version (CMake's project version), for --version, the start-up log and
/// scpipe_build_info in /metrics.
std::string_view version();

} // namespace scpipe
