#include "core/http.hpp"

#include <gtest/gtest.h>

using namespace scpipe;
using state = http_parse_result::state;

TEST(http, a_request_head_is_parsed_once_complete) {
  EXPECT_EQ(parse_http_request("GET /metrics HTTP/1.1\r\nHost: x\r\n").status, state::incomplete);
  auto r = parse_http_request("GET /metrics?name=x HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(r.status, state::ok);
  EXPECT_EQ(r.request.method, "GET");
  EXPECT_EQ(r.request.path, "/metrics");
  EXPECT_EQ(parse_http_request("HEAD /readyz HTTP/1.0\r\n\r\n").request.method, "HEAD");
}

TEST(http, malformed_or_oversized_heads_are_bad_with_a_reason) {
  EXPECT_EQ(parse_http_request("garbage\r\n\r\n").error, "malformed request line");
  EXPECT_EQ(parse_http_request("GET /x HTTP/2\r\n\r\n").error, "unsupported protocol version");
  EXPECT_EQ(parse_http_request("GET x HTTP/1.1\r\n\r\n").error, "request target must be a path");
  auto huge = parse_http_request("GET /" + std::string(max_http_head_bytes, 'a'));
  EXPECT_EQ(huge.status, state::bad);
}

TEST(http, responses_carry_length_and_close) {
  EXPECT_EQ(http_response(503, "text/plain", "not ready\n"),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: "
            "10\r\nConnection: close\r\n\r\nnot ready\n");
}

TEST(http, listen_addresses_are_host_and_port) {
  listen_address a;
  EXPECT_EQ(parse_listen_address("127.0.0.1:9187", a), "");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 9187);
  EXPECT_EQ(parse_listen_address("0.0.0.0:0", a), "port must be 1..65535, got \"0\"");
  EXPECT_NE(parse_listen_address("9187", a), "");
}
