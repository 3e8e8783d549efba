#include "core/producer_session.hpp"

#include "core/hex.hpp"
#include "core/protocol.hpp"

#include <algorithm>
#include <charconv>

namespace scpipe {

namespace {

bool producer_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
         || c == '_' || c == ':' || c == '-';
}

std::string quoted(std::string_view text) {
  return "\"" + readable_bytes(text.substr(0, 80)) + (text.size() > 80 ? "...\"" : "\"");
}

} // namespace

std::variant<producer_session, std::string> parse_producer_session(std::string_view frame) {
  const std::string what = "session frame (\"<producer> <sequence>\"): ";
  auto space = frame.find(' ');
  if (space == std::string_view::npos)
    return what + "no space between producer and sequence in " + quoted(frame);
  auto producer = frame.substr(0, space);
  auto digits = frame.substr(space + 1);
  if (producer.empty() || producer.size() > protocol::max_producer_id_bytes)
    return what + "the producer must be 1 to " + std::to_string(protocol::max_producer_id_bytes)
           + " characters, got " + std::to_string(producer.size());
  if (!std::all_of(producer.begin(), producer.end(), producer_char))
    return what + "the producer " + quoted(producer)
           + " has a character outside A-Z a-z 0-9 . _ : -";
  uint64_t sequence = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  if (digits.empty()
      || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return what + "the sequence " + quoted(digits) + " is not decimal digits";
  if (ec != std::errc{} || end != digits.data() + digits.size()
      || sequence > protocol::max_producer_sequence)
    return what + "the sequence " + quoted(digits) + " is over "
           + std::to_string(protocol::max_producer_sequence);
  return producer_session{std::string{producer}, sequence};
}

std::string session_frame(const producer_session& s) {
  return s.producer + " " + std::to_string(s.sequence);
}

} // namespace scpipe
