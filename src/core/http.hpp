#pragma once

#include <string>
#include <string_view>

namespace scpipe {

/// The parts of an HTTP/1.x request the service's endpoint looks at.
struct http_request {
  std::string method;
  std::string path; ///< without the query string
};

/// What parse_http_request made of the bytes so far.
struct http_parse_result {
  enum class state { incomplete, ok, bad } status = state::incomplete;
  http_request request;
  std::string error; ///< why it is bad
};

/// Largest request head read; a longer one is refused (the endpoint takes no bodies).
inline constexpr size_t max_http_head_bytes = 8192;

/// Parses an HTTP/1.0 or 1.1 request head ("GET /metrics HTTP/1.1\r\n...\r\n\r\n"); incomplete
/// until the blank line has arrived.
http_parse_result parse_http_request(std::string_view head);

/// A complete response with Content-Length and Connection: close.
std::string http_response(int status, std::string_view content_type, std::string_view body);

/// A host and port to listen on, from "host:port"; the error says what is wrong.
struct listen_address {
  std::string host;
  int port = 0;
};
std::string parse_listen_address(std::string_view text, listen_address& out);

} // namespace scpipe
