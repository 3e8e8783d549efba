#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// An event (or a whole payload) the service refuses, and why.
struct event_rejection {
  /// 0-based position of the event in the payload; -1 for the payload as a whole.
  int64_t index = -1;
  /// What is wrong, naming the field (docs/protocol.md).
  std::string reason;
  /// The event as it came, to be dead-lettered; empty when nothing can be kept (e.g. a
  /// payload over broker.max_message_bytes).
  std::string raw;
};

/// A payload turned into rows: the accepted events already in PostgreSQL's COPY text format for
/// sc.sc_user_event(user_id, platform, event_ts, event_type, first_event), one line each.
struct decoded_payload {
  std::string rows;
  uint64_t accepted = 0;
  /// Events refused (1 for a payload refused as a whole).
  uint64_t rejected = 0;
  /// The dead letters to write: one per refused event up to max_dead_letters_per_payload; past
  /// it, one more at index -1 carrying the whole payload, so a payload of millions of tiny bad
  /// events costs one row, not millions (nor their memory).
  std::vector<event_rejection> rejections;
};

/// Refused events of one payload dead-lettered one by one; the rest go in one payload row.
inline constexpr size_t max_dead_letters_per_payload = 1000;

/// The columns `decoded_payload::rows` fills, in order.
inline constexpr std::string_view event_copy_columns =
    "user_id, platform, event_ts, event_type, first_event";

/// Parses and validates a payload (docs/protocol.md): one event object, an array of them, or
/// NDJSON. Every field rule of the contract is checked here, so a row that reaches PostgreSQL fits
/// its column. A payload that is not JSON (nor NDJSON), or has no event, is one rejection at index
/// -1 carrying the whole payload; a bad event is a rejection at its index carrying its own text,
/// verbatim.
decoded_payload decode_payload(std::string_view payload);

/// A payload refused as a whole without being parsed (e.g. too large): one rejection at -1.
decoded_payload reject_payload(std::string reason, std::string raw = {});

/// One line of decoded_payload::rows read back: the values sc.sc_user_event stores.
struct event_row {
  int32_t user_id = 0;
  std::optional<std::string> platform;
  /// As given to PostgreSQL, e.g. "2019-05-13 03:11:04+00:00"; without a zone when the producer
  /// sent none (PostgreSQL read it in etl.timezone).
  std::string event_ts;
  std::string event_type;
  bool first_event = false;
};

/// Reads one line of decoded_payload::rows (with or without its newline), undoing the COPY
/// escapes. Only for lines decode_payload wrote.
event_row parse_event_row(std::string_view line);

/// A line of decoded_payload::rows with its event's position in the payload.
struct payload_row {
  int64_t index = 0;
  std::string_view line; ///< with its newline
};

/// The lines of `p.rows` in order, each with its payload position (the positions the
/// rejections do not take).
std::vector<payload_row> rows_with_index(const decoded_payload& p);

} // namespace scpipe
