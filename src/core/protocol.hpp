#pragma once

// The event protocol's constants (docs/protocol.md), in one place: what the service checks,
// what `scpipe publish` sends and what both say in their errors.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace scpipe::protocol {

/// A request is these frames: the message id, then the payload. A reply has the same two: the
/// id, then the JSON reply object.
inline constexpr size_t request_frames = 2;
/// ... or these: the id, the payload, then the producer session ("<producer> <sequence>").
inline constexpr size_t session_request_frames = 3;

/// A producer id is 1 to this many characters of [A-Za-z0-9._:-].
inline constexpr size_t max_producer_id_bytes = 64;
/// A session's sequence number is at most this (PostgreSQL's bigint).
inline constexpr uint64_t max_producer_sequence = 9223372036854775807ULL;

/// A message id is 1 to this many bytes, opaque to the service.
inline constexpr size_t min_message_id_bytes = 1;
inline constexpr size_t max_message_id_bytes = 255;

/// At most this many errors are listed in a reply.
inline constexpr size_t max_reply_errors = 100;

/// The `reason` of a `rejected` reply to a message whose id was committed before with a
/// different payload: nothing of it was written; it must go under a new id.
inline constexpr std::string_view id_reused_reason = "id_reused";

} // namespace scpipe::protocol

namespace scpipe {

/// The status of a reply.
enum class reply_status { ok, partial, rejected, duplicate, retry };

/// Every status, in the order of docs/protocol.md's table.
inline constexpr reply_status all_reply_statuses[] = {reply_status::ok, reply_status::partial,
                                                      reply_status::rejected,
                                                      reply_status::duplicate, reply_status::retry};

/// The protocol's name of `s`, e.g. "partial".
constexpr std::string_view to_string(reply_status s) {
  switch (s) {
  case reply_status::ok:
    return "ok";
  case reply_status::partial:
    return "partial";
  case reply_status::rejected:
    return "rejected";
  case reply_status::duplicate:
    return "duplicate";
  case reply_status::retry:
    return "retry";
  }
  return "retry";
}

} // namespace scpipe
