#pragma once

// The optional third request frame of docs/protocol.md: a producer session.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace scpipe {

/// Who sent a message and its place in that producer's numbering: the ledger then remembers a
/// run of sequence numbers per producer and batch instead of one row per message id.
struct producer_session {
  /// 1..protocol::max_producer_id_bytes characters of [A-Za-z0-9._:-]; empty: no session.
  std::string producer;
  /// 0..protocol::max_producer_sequence, one per payload of this producer.
  uint64_t sequence = 0;
};

/// Reads a session frame, `<producer> <sequence>` (one space, decimal digits). The error names
/// what is wrong, e.g. `session frame: the sequence "12x" is not decimal digits`.
std::variant<producer_session, std::string> parse_producer_session(std::string_view frame);

/// The frame for `s`, as parse_producer_session reads it.
std::string session_frame(const producer_session& s);

} // namespace scpipe
