#include "core/utf8.hpp"

#include <cstdint>

namespace scpipe {

std::optional<size_t> utf8_length(std::string_view text) {
  size_t count = 0;
  size_t i = 0;
  const auto n = text.size();
  while (i < n) {
    auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      if (c == 0)
        return std::nullopt; // PostgreSQL text cannot hold NUL
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
      return std::nullopt;
    }
    if (i + len > n)
      return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<uint8_t>(text[i + k]);
      if ((cc & 0xC0) != 0x80)
        return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return std::nullopt;
    i += len;
    ++count;
  }
  return count;
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
