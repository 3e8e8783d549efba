#include "core/http.hpp"

#include "core/log.hpp"

#include <charconv>

namespace scpipe {

namespace {

std::string_view reason_phrase(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 431:
    return "Request Header Fields Too Large";
  case 503:
    return "Service Unavailable";
  default:
    return "Error";
  }
}

} // namespace

http_parse_result parse_http_request(std::string_view head) {
  http_parse_result out;
  auto end = head.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (head.size() > max_http_head_bytes) {
      out.status = http_parse_result::state::bad;
      out.error = "request head longer than " + std::to_string(max_http_head_bytes) + " bytes";
    }
    return out;
  }
  auto line = head.substr(0, head.find("\r\n"));
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  out.status = http_parse_result::state::bad;
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    out.error = "malformed request line";
    return out;
  }
  auto version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    out.error = "unsupported protocol version";
    return out;
  }
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.front() != '/') {
    out.error = "request target must be a path";
    return out;
  }
  out.status = http_parse_result::state::ok;
  out.request.method = std::string{line.substr(0, sp1)};
  out.request.path = std::string{target.substr(0, target.find('?'))};
  return out;
}

std::string http_response(int status, std::string_view content_type, std::string_view raw_body) {
  auto body = log::scrubbed(std::string{raw_body});
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string{reason_phrase(status)}
                    + "\r\nContent-Type: " + std::string{content_type} + "\r\nContent-Length: "
                    + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  out.append(body);
  return out;
}

std::string parse_listen_address(std::string_view text, listen_address& out) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return "must be host:port such as \"127.0.0.1:9187\", got \"" + std::string{text} + "\"";
  auto port_text = text.substr(colon + 1);
  int port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port < 1 || port > 65535)
    return "port must be 1..65535, got \"" + std::string{port_text} + "\"";
  out.host = std::string{text.substr(0, colon)};
  out.port = port;
  return {};
}

} // namespace scpipe
