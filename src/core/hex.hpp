#pragma once

#include <string>
#include <string_view>

namespace scpipe {

/// Lower-case hexadecimal of `bytes` (for bytea values passed as text: decode(x, 'hex')).
inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

} // namespace scpipe
