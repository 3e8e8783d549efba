#include "core/copy_text.hpp"

namespace scpipe {

void append_copy_text(std::string& out, std::string_view text) {
  size_t plain = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char* escaped = nullptr;
    switch (text[i]) {
    case '\\':
      escaped = "\\\\";
      break;
    case '\t':
      escaped = "\\t";
      break;
    case '\n':
      escaped = "\\n";
      break;
    case '\r':
      escaped = "\\r";
      break;
    default:
      continue;
    }
    out.append(text.substr(plain, i - plain));
    out += escaped;
    plain = i + 1;
  }
  out.append(text.substr(plain));
}

} // namespace scpipe
