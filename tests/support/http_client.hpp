#pragma once

// A minimal HTTP/1.1 client over a real TCP socket, for the endpoint's end-to-end tests.

#include <string>

namespace scpipe::test {

struct http_reply {
  int status = 0; ///< 0: no connection or no valid response
  std::string body;
};

/// Sends `request_line` ("GET /metrics HTTP/1.1") to 127.0.0.1:`port` and reads the response.
http_reply http_request_to(int port, const std::string& request_line);

inline http_reply http_get(int port, const std::string& path) {
  return http_request_to(port, "GET " + path + " HTTP/1.1");
}

} // namespace scpipe::test
