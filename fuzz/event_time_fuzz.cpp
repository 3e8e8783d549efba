/// Fuzzes parse_event_time and append_timestamp (src/core/event_time.hpp): the two time forms
/// of docs/protocol.md. Checks that an accepted time exists on the calendar, that it is written as
/// PostgreSQL's timestamptz text and parses back (with the ISO 'T') to the same time, that an
/// ISO text is written back as it came (up to `Z` being `+00:00`), and that a refusal gives a
/// one-line reason.

#include "core/event_time.hpp"
#include "require.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace scpipe;
using fuzz::require;

bool leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

bool same(const event_time& a, const event_time& b) {
  return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour
         && a.minute == b.minute && a.second == b.second && a.fraction == b.fraction
         && a.has_offset == b.has_offset && a.offset_minutes == b.offset_minutes;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto parsed = parse_event_time(text);
  if (const auto* reason = std::get_if<std::string>(&parsed)) {
    require(!reason->empty(), "a refusal has a reason");
    require(reason->find('\n') == std::string::npos, "a reason is one line");
    return 0;
  }
  const auto& t = std::get<event_time>(parsed);

  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  require(t.year >= 1 && t.year <= 9999, "year in 1..9999");
  require(t.month >= 1 && t.month <= 12, "month in 1..12");
  require(t.day >= 1 && t.day <= days[t.month - 1] + (t.month == 2 && leap(t.year)),
          "day exists in its month");
  require(t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 && t.second >= 0
              && t.second <= 59,
          "time of day exists");
  require(t.fraction.size() <= 9, "at most 9 fractional digits");
  for (char c : t.fraction)
    require(c >= '0' && c <= '9', "fraction is digits");
  require(t.has_offset || t.offset_minutes == 0, "no offset without a zone");
  require(t.offset_minutes > -16 * 60 && t.offset_minutes < 16 * 60, "offset within ±15:59");

  std::string written;
  append_timestamp(written, t);
  require(written.size() >= 19 && written[10] == ' ', "written as 'YYYY-MM-DD hh:mm:ss'");
  auto iso = written;
  iso[10] = 'T';
  auto again = parse_event_time(iso);
  require(std::holds_alternative<event_time>(again), "the written time parses back");
  require(same(std::get<event_time>(again), t), "the written time is the same time");

  if (text.size() >= 5 && text[4] == '-') {
    std::string expected{text};
    if (expected.ends_with('Z'))
      expected.replace(expected.size() - 1, 1, "+00:00");
    if (expected.ends_with("-00:00"))
      expected.replace(expected.size() - 6, 1, "+");
    require(iso == expected, "an ISO time is written back as it came");
  }
  return 0;
}
