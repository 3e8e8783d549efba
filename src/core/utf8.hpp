#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace scpipe {

/// Counts the code points of valid UTF-8 text; nothing when the text is not valid UTF-8
/// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in PostgreSQL).
std::optional<size_t> utf8_length(std::string_view text);

} // namespace scpipe
