#include "core/conninfo.hpp"

#include <cctype>
#include <cstddef>
#include <cstdio>

namespace scpipe {

namespace {

constexpr std::string_view mask = "****";

/// A password's place in the connection string: [begin, end).
struct span {
  size_t begin;
  size_t end;
};

bool is_uri(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

/// Finds the password spans of a URI: the userinfo's password and any password= parameter.
/// Errs on the side of hiding: the userinfo runs to the last '@' (libpq stops at the first, but
/// a password with a raw '@', '/' or '?' is still a password someone meant to keep secret).
std::vector<span> uri_password_spans(std::string_view s) {
  std::vector<span> out;
  auto authority = s.find("://") + 3;
  auto at = s.rfind('@');
  if (at != std::string_view::npos && at >= authority) {
    auto colon = s.find(':', authority);
    if (colon != std::string_view::npos && colon < at)
      out.push_back({colon + 1, at});
  }
  auto query = s.find('?', at == std::string_view::npos ? authority : at);
  while (query != std::string_view::npos) {
    auto key = query + 1;
    auto amp = s.find('&', key);
    auto param_end = amp == std::string_view::npos ? s.size() : amp;
    auto param = s.substr(key, param_end - key);
    if (param.starts_with("password="))
      out.push_back({key + 9, param_end});
    query = amp;
  }
  return out;
}

/// Finds the password spans of a key=value connection string; a quoted value's span includes
/// its quotes.
std::vector<span> keyword_password_spans(std::string_view s) {
  std::vector<span> out;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
      ++i;
  };
  while (i < s.size()) {
    skip_space();
    auto key_begin = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i])))
      ++i;
    auto key = s.substr(key_begin, i - key_begin);
    skip_space();
    if (i >= s.size() || s[i] != '=')
      break; // not a connection string libpq would accept; nothing more to find
    ++i;
    skip_space();
    auto value_begin = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'')
        i += s[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, s.size());
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])))
        i += s[i] == '\\' ? 2 : 1;
      i = std::min(i, s.size());
    }
    if (key == "password")
      out.push_back({value_begin, i});
  }
  return out;
}

std::vector<span> password_spans(std::string_view s) {
  return is_uri(s) ? uri_password_spans(s) : keyword_password_spans(s);
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1]))
        && std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string{s.substr(i + 1, 2)}, nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'')
    s = s.substr(1, s.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size())
      ++i;
    out += s[i];
  }
  return out;
}

} // namespace

std::string redact_conninfo(std::string_view conninfo) {
  std::string out;
  size_t pos = 0;
  for (auto [begin, end] : password_spans(conninfo)) {
    out.append(conninfo.substr(pos, begin - pos));
    out.append(mask);
    pos = end;
  }
  out.append(conninfo.substr(pos));
  return out;
}

std::vector<std::string> conninfo_passwords(std::string_view conninfo) {
  std::vector<std::string> out;
  auto uri = is_uri(conninfo);
  for (auto [begin, end] : password_spans(conninfo)) {
    auto raw = conninfo.substr(begin, end - begin);
    if (raw.empty())
      continue;
    out.emplace_back(raw);
    auto plain = uri ? percent_decode(raw) : unquote(raw);
    if (!plain.empty() && plain != raw)
      out.push_back(std::move(plain));
  }
  return out;
}

} // namespace scpipe

namespace scpipe {

std::string with_parameter(std::string_view conninfo, std::string_view key,
                           std::string_view value) {
  std::string setting = std::string{key} + "=";
  std::string out{conninfo};
  if (is_uri(conninfo)) {
    auto query = conninfo.find('?');
    if (query != std::string_view::npos
        && (conninfo.find("?" + setting) != std::string_view::npos
            || conninfo.find("&" + setting) != std::string_view::npos))
      return out;
    std::string encoded;
    for (unsigned char ch : value) {
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
        encoded += static_cast<char>(ch);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", ch);
        encoded += hex;
      }
    }
    return out + (query == std::string_view::npos ? "?" : "&") + setting + encoded;
  }
  auto at_word_start = [&](size_t pos) {
    return pos == 0 || std::isspace(static_cast<unsigned char>(conninfo[pos - 1]));
  };
  for (auto pos = conninfo.find(key); pos != std::string_view::npos;
       pos = conninfo.find(key, pos + 1)) {
    auto after = conninfo.find_first_not_of(' ', pos + key.size());
    if (at_word_start(pos) && after != std::string_view::npos && conninfo[after] == '=')
      return out;
  }
  std::string quoted = "'";
  for (char ch : value) {
    if (ch == '\'' || ch == '\\')
      quoted += '\\';
    quoted += ch;
  }
  return out + (out.empty() ? "" : " ") + setting + quoted + "'";
}

} // namespace scpipe
