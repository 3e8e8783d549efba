/// Fuzzes parse_producer_session and session_frame (src/core/producer_session.hpp): the
/// optional third request frame of docs/protocol.md. Checks that an accepted frame has a
/// producer of 1..64 allowed characters and a sequence within bigint, that the frame written
/// for it parses back to the same session, and that a refusal gives a one-line reason that
/// names the session frame.

#include "core/producer_session.hpp"
#include "core/protocol.hpp"
#include "require.hpp"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scpipe;
  using fuzz::require;
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto parsed = parse_producer_session(text);
  if (const auto* reason = std::get_if<std::string>(&parsed)) {
    require(reason->find("session frame") == 0, "a refusal names the session frame");
    require(reason->find('\n') == std::string::npos, "a reason is one line");
    return 0;
  }
  const auto& s = std::get<producer_session>(parsed);
  require(!s.producer.empty() && s.producer.size() <= protocol::max_producer_id_bytes,
          "producer of 1..64 characters");
  for (char c : s.producer)
    require((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
                || c == '_' || c == ':' || c == '-',
            "producer characters are the allowed ones");
  require(s.sequence <= protocol::max_producer_sequence, "sequence within bigint");
  require(text.starts_with(s.producer + " "), "the producer is what precedes the space");
  auto again = parse_producer_session(session_frame(s));
  require(std::holds_alternative<producer_session>(again), "the written frame parses back");
  require(std::get<producer_session>(again).producer == s.producer
              && std::get<producer_session>(again).sequence == s.sequence,
          "the written frame is the same session");
  return 0;
}
