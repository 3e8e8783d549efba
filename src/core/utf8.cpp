#include "core/utf8.hpp"

#include <cstdint>

namespace scpipe {

namespace {

/// Counts the code points of `text`; at the first byte that does not start a valid sequence
/// (or is NUL), stores its offset in `bad` and returns nothing.
std::optional<size_t> scan(std::string_view text, size_t& bad) {
  auto fail = [&bad](size_t at) {
    bad = at;
    return std::nullopt;
  };
  size_t count = 0;
  size_t i = 0;
  const auto n = text.size();
  while (i < n) {
    auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      if (c == 0)
        return fail(i); // PostgreSQL text cannot hold NUL
      ++i;
      ++count;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return fail(i);
    }
    if (i + len > n)
      return fail(i);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<uint8_t>(text[i + k]);
      if ((cc & 0xC0) != 0x80)
        return fail(i);
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return fail(i);
    i += len;
    ++count;
  }
  return count;
}

} // namespace

std::optional<size_t> utf8_length(std::string_view text) {
  size_t bad = 0;
  return scan(text, bad);
}

std::optional<size_t> utf8_invalid_offset(std::string_view text) {
  size_t bad = 0;
  return scan(text, bad) ? std::nullopt : std::optional<size_t>{bad};
}

std::optional<std::string> utf8_problem(std::string_view text, size_t base) {
  auto bad = utf8_invalid_offset(text);
  if (!bad)
    return std::nullopt;
  auto offset = std::to_string(base + *bad);
  if (text[*bad] == '\0')
    return "a NUL byte at offset " + offset;
  static constexpr char digits[] = "0123456789ABCDEF";
  auto byte = static_cast<unsigned char>(text[*bad]);
  return std::string{"not UTF-8 (byte 0x"} + digits[byte >> 4] + digits[byte & 15] + " at offset "
         + offset + ")";
}

std::string_view bom_skipper::next(std::string_view chunk) {
  if (decided_)
    return chunk;
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  held_.append(chunk);
  if (held_.size() < bom.size() && bom.starts_with(held_))
    return {};
  decided_ = true;
  std::string_view out{held_};
  return out.starts_with(bom) ? out.substr(bom.size()) : out;
}

std::string_view bom_skipper::flush() {
  if (decided_)
    return {};
  decided_ = true;
  return held_;
}

} // namespace scpipe
