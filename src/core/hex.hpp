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

/// `bytes` as they are when they are printable ASCII (message ids from scpipe publish), else
/// as "0x" and their hexadecimal: for log lines and messages.
inline std::string readable_bytes(std::string_view bytes) {
  for (unsigned char c : bytes)
    if (c < 0x20 || c > 0x7e)
      return "0x" + to_hex(bytes);
  return std::string{bytes};
}

} // namespace scpipe
