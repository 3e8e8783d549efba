#include "core/event_time.hpp"

namespace scpipe {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Reads between `min` and `max` ASCII digits at `pos`; advances `pos`.
bool digits(std::string_view s, size_t& pos, size_t min, size_t max, int& out) {
  size_t n = 0;
  int v = 0;
  while (pos + n < s.size() && n < max && is_digit(s[pos + n])) {
    v = v * 10 + (s[pos + n] - '0');
    ++n;
  }
  if (n < min)
    return false;
  pos += n;
  out = v;
  return true;
}

bool literal(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

/// The calendar and clock check shared by both forms.
std::variant<event_time, std::string> checked(event_time t) {
  if (t.year < 1)
    return std::string{"year 0000 does not exist"};
  if (t.month < 1 || t.month > 12)
    return "month " + std::to_string(t.month) + " does not exist";
  if (t.day < 1 || t.day > days_in_month(t.year, t.month))
    return "day " + std::to_string(t.day) + " does not exist in " + std::to_string(t.year) + "-"
           + (t.month < 10 ? "0" : "") + std::to_string(t.month);
  if (t.hour > 23)
    return "hour " + std::to_string(t.hour) + " does not exist";
  if (t.minute > 59)
    return "minute " + std::to_string(t.minute) + " does not exist";
  if (t.second > 59)
    return "second " + std::to_string(t.second) + " does not exist";
  return t;
}

const std::string expected_forms =
    "expected ISO-8601 like 2019-05-13T03:11:04 (optional .fraction, Z or +hh:mm) "
    "or M/D/YYYY H:MM:SS";

std::variant<event_time, std::string> parse_iso(std::string_view s) {
  event_time t;
  size_t p = 0;
  if (!(digits(s, p, 4, 4, t.year) && literal(s, p, '-') && digits(s, p, 2, 2, t.month)
        && literal(s, p, '-') && digits(s, p, 2, 2, t.day) && literal(s, p, 'T')
        && digits(s, p, 2, 2, t.hour) && literal(s, p, ':') && digits(s, p, 2, 2, t.minute)
        && literal(s, p, ':') && digits(s, p, 2, 2, t.second)))
    return expected_forms;
  if (literal(s, p, '.')) {
    size_t start = p;
    while (p < s.size() && is_digit(s[p]))
      ++p;
    if (p == start || p - start > 9)
      return std::string{"fractional seconds must have 1 to 9 digits"};
    t.fraction = std::string{s.substr(start, p - start)};
  }
  if (literal(s, p, 'Z')) {
    t.has_offset = true;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int hh = 0, mm = 0;
    if (!(digits(s, p, 2, 2, hh) && literal(s, p, ':') && digits(s, p, 2, 2, mm)))
      return std::string{"the zone must be Z or +hh:mm"};
    if (hh > 15 || mm > 59)
      return "zone offset " + std::string{s.substr(p - 6, 6)} + " is out of range";
    t.has_offset = true;
    t.offset_minutes = sign * (hh * 60 + mm);
  }
  if (p != s.size())
    return expected_forms;
  return checked(std::move(t));
}

std::variant<event_time, std::string> parse_us(std::string_view s) {
  event_time t;
  size_t p = 0;
  if (!(digits(s, p, 1, 2, t.month) && literal(s, p, '/') && digits(s, p, 1, 2, t.day)
        && literal(s, p, '/') && digits(s, p, 4, 4, t.year) && literal(s, p, ' ')
        && digits(s, p, 1, 2, t.hour) && literal(s, p, ':') && digits(s, p, 2, 2, t.minute)
        && literal(s, p, ':') && digits(s, p, 2, 2, t.second) && p == s.size()))
    return expected_forms;
  return checked(std::move(t));
}

} // namespace

std::variant<event_time, std::string> parse_event_time(std::string_view text) {
  // The forms differ at the fifth character at the latest: "2019-" against "5/13/" or "12/1/".
  if (text.size() >= 5 && text[4] == '-')
    return parse_iso(text);
  return parse_us(text);
}

void append_timestamp(std::string& out, const event_time& t) {
  // By hand rather than snprintf: this runs for every event.
  auto two = [&](int v) {
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
  };
  two(t.year / 100);
  two(t.year % 100);
  out += '-';
  two(t.month);
  out += '-';
  two(t.day);
  out += ' ';
  two(t.hour);
  out += ':';
  two(t.minute);
  out += ':';
  two(t.second);
  if (!t.fraction.empty()) {
    out += '.';
    out += t.fraction;
  }
  if (t.has_offset) {
    int m = t.offset_minutes < 0 ? -t.offset_minutes : t.offset_minutes;
    out += t.offset_minutes < 0 ? '-' : '+';
    two(m / 60);
    out += ':';
    two(m % 60);
  }
}

} // namespace scpipe
