#pragma once

#include <string>
#include <string_view>

namespace scpipe {

/// Appends `text` to `out` escaped for COPY's text format: backslash, tab, newline and carriage
/// return become \\, \t, \n and \r; every other byte passes as it is. The one place scpipe
/// escapes a COPY field (the event writers, the replay and the staging loaders use it).
void append_copy_text(std::string& out, std::string_view text);

} // namespace scpipe
