/// Fuzzes decode_payload (src/core/event_payload.hpp): the bytes of one broker message (an
/// event object, an array of them, or NDJSON) into COPY rows for sc.sc_user_event and dead
/// letters. Checks what the writer relies on: every row is one line of five tab-separated
/// fields that PostgreSQL's COPY and the column types accept; every event (read here with
/// Boost.JSON on its own) is accepted or refused, and an accepted one's row holds its values;
/// every reason is one line of valid UTF-8 (a text column); a dead letter carries its event's
/// own text.

#include "core/event_payload.hpp"
#include "core/event_time.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"
#include "require.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace scpipe;
using fuzz::require;

/// COPY text-format field back to its text; nothing when an escape is not one append_copy_text
/// writes.
bool unescape_copy(std::string_view field, std::string& out) {
  out.clear();
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out += field[i];
      continue;
    }
    if (++i == field.size())
      return false;
    switch (field[i]) {
    case '\\':
      out += '\\';
      break;
    case 't':
      out += '\t';
      break;
    case 'n':
      out += '\n';
      break;
    case 'r':
      out += '\r';
      break;
    default:
      return false;
    }
  }
  return true;
}

/// A text value PostgreSQL accepts: valid UTF-8 without NUL, at most `max_chars` characters.
bool valid_text(std::string_view s, size_t max_chars) {
  auto chars = utf8_length(s);
  return chars && *chars <= max_chars;
}

/// One COPY line: user_id, platform, event_ts, event_type, first_event. Returns the fields.
std::vector<std::string_view> check_row(std::string_view row) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (size_t tab; (tab = row.find('\t', start)) != std::string_view::npos; start = tab + 1)
    fields.push_back(row.substr(start, tab - start));
  fields.push_back(row.substr(start));
  require(fields.size() == 5, "a row has five tab-separated fields");
  require(row.find('\r') == std::string_view::npos, "no raw CR in a row");

  int32_t user_id = 0;
  auto [end, err] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), user_id);
  require(err == std::errc{} && end == fields[0].data() + fields[0].size(),
          "user_id is a 32-bit integer");

  // parse_event_row (the dead letters', the live feed's) reads the same values back.
  auto read_back = parse_event_row(row);
  require(read_back.user_id == user_id, "parse_event_row reads the user_id");
  std::string text;
  if (fields[1] != "\\N") {
    require(unescape_copy(fields[1], text), "platform is COPY-escaped");
    require(valid_text(text, 200), "platform is UTF-8 text of at most 200 characters");
    require(read_back.platform == text, "parse_event_row reads the platform");
  } else {
    require(!read_back.platform, "parse_event_row reads a null platform");
  }
  require(read_back.event_ts == fields[2], "parse_event_row reads event_ts");

  // event_ts as append_timestamp wrote it parses back (with the ISO 'T') to the same time.
  std::string iso{fields[2]};
  require(iso.size() > 10 && iso[10] == ' ', "event_ts has a space between date and time");
  iso[10] = 'T';
  auto reparsed = parse_event_time(iso);
  require(std::holds_alternative<event_time>(reparsed), "event_ts parses back");
  std::string again;
  append_timestamp(again, std::get<event_time>(reparsed));
  require(again == fields[2], "event_ts is written the same way twice");

  require(unescape_copy(fields[3], text), "event_type is COPY-escaped");
  require(!text.empty() && valid_text(text, 50), "event_type is UTF-8 text of 1 to 50 characters");
  require(read_back.event_type == text, "parse_event_row reads the event_type");
  require(fields[4] == "t" || fields[4] == "f", "first_event is t or f");
  require(read_back.first_event == (fields[4] == "t"), "parse_event_row reads first_event");
  return fields;
}

boost::json::value parse(std::string_view text, boost::json::error_code& ec) {
  boost::json::parse_options opt;
  opt.max_depth = 32; // as decode_payload
  return boost::json::parse(text, ec, {}, opt);
}

/// The events of a payload as docs/protocol.md reads it, parsed independently of decode_payload;
/// empty when the payload is refused as a whole. An NDJSON line that is not JSON is null.
std::vector<boost::json::value> events_of(std::string_view payload) {
  boost::json::error_code ec;
  auto root = parse(payload, ec);
  if (!ec) {
    if (auto* array = root.if_array())
      return {array->begin(), array->end()};
    return {root};
  }
  std::vector<boost::json::value> out;
  bool any_json = false;
  for (size_t start = 0; start <= payload.size();) {
    auto nl = payload.find('\n', start);
    auto line = trim(payload.substr(start, nl == std::string_view::npos ? nl : nl - start));
    start = nl == std::string_view::npos ? payload.size() + 1 : nl + 1;
    if (line.empty())
      continue;
    boost::json::error_code line_ec;
    auto v = parse(line, line_ec);
    any_json = any_json || !line_ec;
    out.push_back(line_ec ? boost::json::value{} : v);
  }
  if (payload.find('\n') == std::string_view::npos || !any_json)
    out.clear();
  return out;
}

std::string_view string_field(const boost::json::object& event, std::string_view name) {
  const auto& s = event.at(name).as_string();
  return {s.data(), s.size()};
}

/// An accepted event's row holds its values.
void check_row_of(const boost::json::value& v, const std::vector<std::string_view>& fields) {
  require(v.is_object(), "an accepted event is an object");
  const auto& event = v.as_object();
  std::string text;

  const auto& id = event.at("user_id");
  require(fields[0]
              == (id.is_string()
                      ? std::to_string(std::stoll(std::string{string_field(event, "user_id")}))
                      : std::to_string(id.as_int64())),
          "user_id is the event's");

  const auto* platform = event.if_contains("platform");
  if (!platform || platform->is_null()) {
    require(fields[1] == "\\N", "a missing platform is NULL");
  } else {
    unescape_copy(fields[1], text);
    require(text == string_field(event, "platform"), "platform is the event's");
  }

  std::string ts;
  append_timestamp(ts, std::get<event_time>(parse_event_time(string_field(event, "event_time"))));
  require(fields[2] == ts, "event_ts is the event's");

  unescape_copy(fields[3], text);
  require(text == string_field(event, "event_type"), "event_type is the event's");

  const auto* first = event.if_contains("first_event");
  bool yes = first
             && ((first->is_bool() && first->as_bool())
                 || (first->is_string()
                     && (first->as_string() == "TRUE" || first->as_string() == "true"
                         || first->as_string() == "1")));
  require(fields[4] == (yes ? "t" : "f"), "first_event is the event's");
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view payload{reinterpret_cast<const char*>(data), size};
  auto d = decode_payload(payload);

  // Rows: exactly one newline-terminated line per accepted event.
  require(d.rows.empty() || d.rows.back() == '\n', "rows end with a newline");
  std::vector<std::vector<std::string_view>> rows;
  for (size_t start = 0, nl; (nl = d.rows.find('\n', start)) != std::string::npos; start = nl + 1)
    rows.push_back(check_row(std::string_view{d.rows}.substr(start, nl - start)));
  require(rows.size() == d.accepted, "one row per accepted event");

  // Counts and dead letters.
  require(d.accepted + d.rejected > 0, "a payload has an event or is refused");
  if (d.rejected <= max_dead_letters_per_payload) {
    require(d.rejections.size() == d.rejected, "one dead letter per refused event");
  } else {
    require(d.rejections.size() == max_dead_letters_per_payload + 1,
            "past the limit, the limit plus one dead letter");
    require(d.rejections.back().index == -1 && d.rejections.back().raw == payload,
            "the last dead letter carries the whole payload");
  }

  // Re-parsed, the payload says which dead letters are array elements.
  boost::json::error_code ec;
  auto root = parse(payload, ec);
  const auto* array = ec ? nullptr : root.if_array();

  int64_t previous = -1;
  for (const auto& r : d.rejections) {
    require(!r.reason.empty(), "a reason is given");
    require(!contains(r.reason, "\n") && !contains(r.reason, "\r"), "a reason is one line");
    require(utf8_length(r.reason).has_value(), "a reason is UTF-8 text without NUL");
    if (r.index == -1) {
      require(r.raw == payload, "a payload-wide dead letter carries the whole payload");
      continue;
    }
    require(r.index > previous, "dead letters are in event order");
    previous = r.index;
    require(!r.raw.empty() && contains(payload, r.raw),
            "a dead letter carries its event's own text");
    if (array) {
      require(static_cast<size_t>(r.index) < array->size(), "an index is an element's");
      boost::json::error_code element_ec;
      auto element = parse(r.raw, element_ec);
      require(!element_ec && element == (*array)[static_cast<size_t>(r.index)],
              "an array element's dead letter is that element");
    }
  }

  // Every event is accepted or refused, and an accepted one's row holds its values.
  auto events = events_of(payload);
  if (events.empty()) {
    require(d.accepted == 0 && d.rejected == 1 && d.rejections.size() == 1
                && d.rejections[0].index == -1,
            "a payload without events is refused as a whole");
  } else {
    require(d.accepted + d.rejected == events.size(), "accepted + refused = events");
  }
  if (!events.empty() && d.rejected <= max_dead_letters_per_payload) {
    size_t row = 0;
    auto refused = d.rejections.begin();
    for (size_t i = 0; i < events.size(); ++i) {
      if (refused != d.rejections.end() && refused->index == static_cast<int64_t>(i)) {
        ++refused;
        continue;
      }
      require(row < rows.size(), "an event not refused has a row");
      check_row_of(events[i], rows[row++]);
    }
  }
  return 0;
}
