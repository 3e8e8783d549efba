#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace scpipe {

/// Counts the code points of valid UTF-8 text; nothing when the text is not valid UTF-8
/// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in PostgreSQL).
std::optional<size_t> utf8_length(std::string_view text);

/// The offset of the first byte of `text` that is not valid UTF-8 as utf8_length() judges it
/// (NUL included); nothing when the whole text is valid.
std::optional<size_t> utf8_invalid_offset(std::string_view text);

/// What is wrong with `text` when it is not valid UTF-8 text, in words safe to print (the bad
/// byte in hex, never raw): "not UTF-8 (byte 0xFF at offset 12)" or "a NUL byte at offset 3",
/// the offset counted from `base`. Nothing when the text is valid.
std::optional<std::string> utf8_problem(std::string_view text, size_t base = 0);

/// Removes a UTF-8 byte-order mark from the start of a stream that arrives in chunks of any
/// size (a mark split over two chunks included).
class bom_skipper {
public:
  /// The bytes of `chunk` to process: a leading mark removed, and bytes that may still turn
  /// out to be one held back (returned by a later call or by flush()). The view is valid
  /// until the next call.
  std::string_view next(std::string_view chunk);

  /// Bytes still held back at the end of the stream.
  std::string_view flush();

private:
  bool decided_ = false;
  std::string held_;
};

} // namespace scpipe
