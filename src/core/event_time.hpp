#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace scpipe {

/// An event time as docs/protocol.md accepts it, checked against the calendar.
struct event_time {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  /// Fractional-second digits as written (without the dot); empty when there are none.
  std::string fraction;
  /// Whether the text carried a zone (`Z` or `±hh:mm`); without one the time is local to
  /// etl.timezone, which the writer's session applies.
  bool has_offset = false;
  /// The offset in minutes east of UTC when has_offset.
  int offset_minutes = 0;
};

/// Parses the two forms of docs/protocol.md: ISO-8601 `2019-05-13T03:11:04` (optional fractional
/// seconds, optional `Z` or `±hh:mm`) and the CSV exports' `M/D/YYYY H:MM:SS`. Returns the
/// reason when the text is neither or names a time that does not exist (month 13, 30 February,
/// hour 24); the reason quotes no input, the caller does.
std::variant<event_time, std::string> parse_event_time(std::string_view text);

/// Appends `t` as PostgreSQL reads a timestamptz: `2019-05-13 03:11:04.5+02:00`, or without
/// the offset when the text had none.
void append_timestamp(std::string& out, const event_time& t);

} // namespace scpipe
