#include "core/staged_user.hpp"

#include <boost/json/value.hpp>

#include <cmath>
#include <unordered_map>

namespace scpipe {

namespace {

// -- text helpers ----------------------------------------------------------------------------

bool digit(char c) {
  return c >= '0' && c <= '9';
}

/// The value of the `n` digits at `s[at]`, or -1 when one of them is not a digit.
int digits_at(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size())
    return -1;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!digit(s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : days[month - 1];
}

/// Length in characters of UTF-8 text (what PostgreSQL's length() counts).
size_t characters(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

struct civil_time {
  int year, month, day, hour, minute, second;
};

bool valid(const civil_time& t) {
  return t.year >= 1 && t.month >= 1 && t.month <= 12 && t.day >= 1
         && t.day <= days_in_month(t.year, t.month) && t.hour <= 23 && t.minute <= 59
         && t.second <= 59;
}

/// Appends `v` as `width` digits (v >= 0, fewer than 10^width).
void append_digits(std::string& out, int v, int width) {
  char buf[4];
  for (int i = width - 1; i >= 0; --i, v /= 10)
    buf[i] = static_cast<char>('0' + v % 10);
  out.append(buf, static_cast<size_t>(width));
}

/// 'YYYY-MM-DD HH:MM:SS' + fraction + zone. By hand: snprintf was a tenth of load-users' CPU.
std::string format(const civil_time& t, std::string_view fraction, std::string_view zone) {
  std::string out;
  out.reserve(19 + fraction.size() + zone.size());
  append_digits(out, t.year, 4);
  out += '-';
  append_digits(out, t.month, 2);
  out += '-';
  append_digits(out, t.day, 2);
  out += ' ';
  append_digits(out, t.hour, 2);
  out += ':';
  append_digits(out, t.minute, 2);
  out += ':';
  append_digits(out, t.second, 2);
  out += fraction;
  out += zone;
  return out;
}

/// 'YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|±hh[[:]mm]]'.
std::optional<std::string> normalize_iso(std::string_view s) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':'
      || s[16] != ':')
    return std::nullopt;
  civil_time t{digits_at(s, 0, 4),  digits_at(s, 5, 2),  digits_at(s, 8, 2),
               digits_at(s, 11, 2), digits_at(s, 14, 2), digits_at(s, 17, 2)};
  if (t.year < 0 || t.month < 0 || t.day < 0 || t.hour < 0 || t.minute < 0 || t.second < 0
      || !valid(t))
    return std::nullopt;
  size_t at = 19;
  std::string_view fraction;
  if (at < s.size() && s[at] == '.') {
    size_t end = at + 1;
    while (end < s.size() && digit(s[end]))
      ++end;
    if (end - at - 1 < 1 || end - at - 1 > 6)
      return std::nullopt;
    fraction = s.substr(at, end - at);
    at = end;
  }
  if (at == s.size())
    return format(t, fraction, "");
  if (s[at] == 'Z')
    return at + 1 == s.size() ? std::optional{format(t, fraction, "+00:00")} : std::nullopt;
  if (s[at] != '+' && s[at] != '-')
    return std::nullopt;
  int hours = digits_at(s, at + 1, 2);
  int minutes = 0;
  size_t end = at + 3;
  if (end < s.size()) {
    end += s[end] == ':';
    minutes = digits_at(s, end, 2);
    end += 2;
  }
  if (hours < 0 || hours > 15 || minutes < 0 || minutes > 59 || end != s.size())
    return std::nullopt;
  std::string zone(1, s[at]);
  append_digits(zone, hours, 2);
  zone += ':';
  append_digits(zone, minutes, 2);
  return format(t, fraction, zone);
}

/// 'M/D/YYYY H:MM:SS' (month, day and hour of one or two digits): a local time.
std::optional<std::string> normalize_us(std::string_view s) {
  size_t at = 0;
  auto number = [&](size_t min_digits, size_t max_digits, char then) -> int {
    size_t start = at;
    int v = 0;
    while (at < s.size() && digit(s[at]) && at - start < max_digits)
      v = v * 10 + (s[at++] - '0');
    if (at - start < min_digits || at >= s.size() || s[at] != then)
      return -1;
    ++at;
    return v;
  };
  civil_time t{};
  t.month = number(1, 2, '/');
  t.day = t.month < 0 ? -1 : number(1, 2, '/');
  t.year = t.day < 0 ? -1 : number(4, 4, ' ');
  t.hour = t.year < 0 ? -1 : number(1, 2, ':');
  t.minute = t.hour < 0 ? -1 : number(2, 2, ':');
  if (t.minute < 0 || s.size() - at != 2)
    return std::nullopt;
  t.second = digits_at(s, at, 2);
  if (t.second < 0 || !valid(t))
    return std::nullopt;
  return format(t, "", "");
}

// -- JSON helpers ----------------------------------------------------------------------------

/// Whether jsonb stores `v` as this JSON says, so the SQL path would read what we read here: no
/// \u0000 in a string or key (jsonb refuses it), no number Boost.JSON may have read otherwise
/// than jsonb does (it turns 1e-400 into 0 and 1e400 into infinity, which jsonb keeps exact).
bool plain(const boost::json::value& v) {
  switch (v.kind()) {
  case boost::json::kind::string:
    return v.get_string().find('\0') == boost::json::string::npos;
  case boost::json::kind::double_: {
    double d = std::fabs(v.get_double());
    return std::isfinite(d) && d >= 1e-300 && d <= 1e300;
  }
  case boost::json::kind::array:
    for (const auto& e : v.get_array())
      if (!plain(e))
        return false;
    return true;
  case boost::json::kind::object:
    for (const auto& kv : v.get_object())
      if (kv.key().find('\0') != boost::json::string_view::npos || !plain(kv.value()))
        return false;
    return true;
  default:
    return true;
  }
}

/// A field's value, or nullptr when the field is missing or JSON null (the SQL reads both as
/// NULL).
const boost::json::value* field(const boost::json::object& o, boost::json::string_view key) {
  auto* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

/// scpipe.upstream_int for the plainly good cases.
std::optional<int32_t> upstream_int(const boost::json::value& v) {
  int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_string()) {
    std::string_view s{v.get_string().data(), v.get_string().size()};
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!s.empty() && blank(s.front()))
      s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
      s.remove_suffix(1);
    bool negative = !s.empty() && s.front() == '-';
    if (negative)
      s.remove_prefix(1);
    if (s.empty() || s.size() > 10)
      return std::nullopt;
    for (char c : s) {
      if (!digit(c))
        return std::nullopt;
      n = n * 10 + (c - '0');
    }
    n = negative ? -n : n;
  } else {
    return std::nullopt;
  }
  if (n < INT32_MIN || n > INT32_MAX)
    return std::nullopt;
  return static_cast<int32_t>(n);
}

/// scpipe.upstream_bool for the plainly good cases; `ok` false for any other value.
std::optional<bool> upstream_bool(const boost::json::value* v, bool& ok) {
  if (!v)
    return std::nullopt;
  if (v->is_bool())
    return v->get_bool();
  if (v->is_int64() && (v->get_int64() == 0 || v->get_int64() == 1))
    return v->get_int64() == 1;
  if (v->is_string()) {
    std::string s{v->get_string().data(), v->get_string().size()};
    for (auto& c : s)
      c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (s == "true" || s == "1")
      return true;
    if (s == "false" || s == "0")
      return false;
  }
  ok = false;
  return std::nullopt;
}

/// A text field of at most `max_chars` characters: a string, or an integer (its digits, as
/// jsonb prints it); `ok` false for any other value.
std::optional<std::string> upstream_text(const boost::json::value* v, size_t max_chars, bool& ok) {
  if (!v)
    return std::nullopt;
  std::string s;
  if (v->is_string())
    s.assign(v->get_string().data(), v->get_string().size());
  else if (v->is_int64())
    s = std::to_string(v->get_int64());
  else if (v->is_uint64())
    s = std::to_string(v->get_uint64());
  else
    ok = false;
  if (characters(s) > max_chars)
    ok = false;
  return s;
}

/// A timestamp field: a string the contract parser accepts; `ok` false for any other value.
std::optional<std::string> upstream_ts(const boost::json::value* v, bool& ok) {
  if (!v)
    return std::nullopt;
  std::optional<std::string> ts;
  if (v->is_string())
    ts = normalize_upstream_ts({v->get_string().data(), v->get_string().size()});
  ok = ok && ts.has_value();
  return ts;
}

/// The entries of the array field `key` (missing or null: none); of a repeated id only the last
/// entry, as the ETL's "distinct on (id) ... order by position desc" keeps. `read` turns one
/// object into an item and says whether it is plainly good.
template <class Read>
bool staged_items(const boost::json::object& doc, boost::json::string_view key,
                  std::vector<staged_item>& out, Read read) {
  auto* v = field(doc, key);
  if (!v)
    return true;
  if (!v->is_array())
    return false;
  // id -> index in out, built only for long arrays: a document has a few entries, and a hash
  // map per document was a visible share of load-users' allocations.
  constexpr size_t indexed_from = 16;
  std::unordered_map<std::string, size_t> at;
  for (const auto& element : v->get_array()) {
    if (!element.is_object())
      return false;
    staged_item item;
    if (!read(element.get_object(), item))
      return false;
    size_t found = out.size();
    if (out.size() < indexed_from) {
      for (size_t i = 0; i < out.size() && found == out.size(); ++i)
        found = out[i].id == item.id ? i : found;
    } else {
      if (at.empty())
        for (size_t i = 0; i < out.size(); ++i)
          at.emplace(out[i].id, i);
      found = at.try_emplace(item.id, out.size()).first->second;
    }
    if (found < out.size())
      out[found] = std::move(item);
    else
      out.push_back(std::move(item));
  }
  return true;
}

} // namespace

std::optional<std::string> normalize_upstream_ts(std::string_view text) {
  if (auto iso = normalize_iso(text))
    return iso;
  return normalize_us(text);
}

std::optional<staged_user> stage_user_document(const boost::json::value& document) {
  if (!document.is_object() || !plain(document))
    return std::nullopt;
  const auto& doc = document.get_object();
  staged_user u;
  auto* id = field(doc, "user_id");
  auto user_id = id ? upstream_int(*id) : std::nullopt;
  if (!user_id)
    return std::nullopt;
  u.user_id = *user_id;
  bool ok = true;
  if (auto* email = field(doc, "user_email")) {
    if (!email->is_string())
      return std::nullopt; // the SQL reads a number's text: rare, left to it
    u.user_email = upstream_text(email, 200, ok);
  }
  u.on_trial = upstream_bool(field(doc, "on_trial"), ok);
  u.active = upstream_bool(field(doc, "active"), ok);
  u.signup_ts = upstream_ts(field(doc, "signup_ts"), ok);
  if (!ok)
    return std::nullopt;
  bool items_ok =
      staged_items(doc, "checklist", u.checklists,
                   [](const boost::json::object& o, staged_item& item) {
                     bool fine = field(o, "checklist_id") != nullptr;
                     item.id = upstream_text(field(o, "checklist_id"), 200, fine).value_or("");
                     item.name = upstream_text(field(o, "checklist_name"), 200, fine);
                     item.ts = upstream_ts(field(o, "created_on"), fine);
                     return fine;
                   })
      && staged_items(doc, "inspection", u.inspections,
                      [](const boost::json::object& o, staged_item& item) {
                        bool fine = field(o, "inspection_id") != nullptr;
                        item.id = upstream_text(field(o, "inspection_id"), 200, fine).value_or("");
                        item.ts = upstream_ts(field(o, "inspection_ts"), fine);
                        item.created_ts = upstream_ts(field(o, "created_ts"), fine);
                        return fine;
                      });
  if (!items_ok)
    return std::nullopt;
  return u;
}

} // namespace scpipe
