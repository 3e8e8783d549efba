#pragma once

#include <string>
#include <string_view>

namespace scpipe {

/// `s` without leading and trailing whitespace as JSON defines it (space, tab, CR, LF), which
/// is also what surrounds a line of the key files and NDJSON.
inline std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

/// A CSV header name as matched against the columns we know: trimmed, lower case ASCII
/// ("User_Email " → "user_email"), as exports from spreadsheets and CRMs write them.
inline std::string header_name(std::string_view name) {
  std::string out{trim(name)};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// `one` when `n` is 1, else `many`: "1 document", "2 documents".
inline std::string_view plural(unsigned long long n, std::string_view one, std::string_view many) {
  return n == 1 ? one : many;
}

} // namespace scpipe
