#include "core/event_payload.hpp"

#include "core/copy_text.hpp"
#include "core/event_time.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

namespace scpipe {

namespace {

namespace json = boost::json;

constexpr size_t max_event_type_chars = 50;
constexpr size_t max_platform_chars = 200;
/// Quoted input in a reason is cut here, so a reason stays one readable line.
constexpr size_t max_quoted_bytes = 64;

/// `text` in double quotes for a reason: control characters shown as '?', cut at a character
/// boundary after max_quoted_bytes.
std::string quoted(std::string_view text) {
  bool cut = text.size() > max_quoted_bytes;
  if (cut) {
    size_t end = max_quoted_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end; // not inside a UTF-8 sequence
    text = text.substr(0, end);
  }
  std::string out = "\"";
  for (char c : text)
    out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  out += cut ? "...\"" : "\"";
  return out;
}

std::string kind_name(const json::value& v) {
  switch (v.kind()) {
  case json::kind::null:
    return "null";
  case json::kind::bool_:
    return "a boolean";
  case json::kind::int64:
  case json::kind::uint64:
    return "an integer";
  case json::kind::double_:
    return "a number with a fraction or exponent";
  case json::kind::string:
    return "a string";
  case json::kind::array:
    return "an array";
  case json::kind::object:
    return "an object";
  }
  return "a value";
}

/// Checks a text field's length in characters and that PostgreSQL text can hold it.
std::optional<std::string> text_problem(std::string_view field, std::string_view s,
                                        size_t max_chars) {
  if (s.find('\0') != std::string_view::npos)
    return std::string{field} + ": contains a NUL character (\\u0000), which text cannot hold";
  auto chars = utf8_length(s).value_or(s.size()); // Boost.JSON has checked the UTF-8
  if (chars > max_chars)
    return std::string{field} + ": " + std::to_string(chars) + " characters, more than "
           + std::to_string(max_chars);
  return std::nullopt;
}

/// The problems found in one event, in field order, joined by "; ".
class event_problems {
public:
  void add(std::string problem) {
    text_ += (text_.empty() ? "" : "; ") + std::move(problem);
  }
  bool empty() const {
    return text_.empty();
  }
  std::string take() {
    return std::move(text_);
  }

private:
  std::string text_;
};

/// user_id: a JSON integer or a string of digits, fitting int4. `f` is null when absent.
std::optional<int32_t> read_user_id(const json::value* f, event_problems& problems) {
  if (!f) {
    problems.add("user_id: missing");
    return std::nullopt;
  }
  constexpr int64_t int4_max = std::numeric_limits<int32_t>::max();
  constexpr int64_t int4_min = std::numeric_limits<int32_t>::min();
  if (f->is_int64()) {
    auto id = f->get_int64();
    if (id >= int4_min && id <= int4_max)
      return static_cast<int32_t>(id);
    problems.add("user_id: " + std::to_string(id) + " does not fit a 32-bit integer");
  } else if (f->is_uint64()) {
    problems.add("user_id: " + std::to_string(f->get_uint64()) + " does not fit a 32-bit integer");
  } else if (const auto* s = f->if_string()) {
    std::string_view digits{s->data(), s->size()};
    bool all_digits = !digits.empty();
    for (char c : digits)
      all_digits = all_digits && c >= '0' && c <= '9';
    int64_t id = 0;
    if (!all_digits)
      problems.add("user_id: " + quoted(digits) + " is not a string of digits");
    else if (auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
             err != std::errc{} || id > int4_max)
      problems.add("user_id: " + quoted(digits) + " does not fit a 32-bit integer");
    else
      return static_cast<int32_t>(id);
  } else {
    problems.add("user_id: must be an integer or a string of digits, got " + kind_name(*f));
  }
  return std::nullopt;
}

/// A field that must be a string, as text; nullopt (and a problem) when it is absent but
/// `required`, or not a string.
std::optional<std::string_view> string_field(std::string_view name, const json::value* f,
                                             bool required, event_problems& problems) {
  if (!f) {
    if (required)
      problems.add(std::string{name} + ": missing");
    return std::nullopt;
  }
  const auto* s = f->if_string();
  if (!s) {
    problems.add(std::string{name} + ": must be a string, got " + kind_name(*f));
    return std::nullopt;
  }
  return std::string_view{s->data(), s->size()};
}

/// A text column's field: a string of at most `max_chars` characters; a required one must be
/// there and not empty.
std::optional<std::string_view> read_text(std::string_view name, const json::value* f,
                                          size_t max_chars, bool required,
                                          event_problems& problems) {
  auto text = string_field(name, f, required, problems);
  if (!text)
    return std::nullopt;
  if (required && text->empty())
    problems.add(std::string{name} + ": must not be empty");
  else if (auto p = text_problem(name, *text, max_chars))
    problems.add(*p);
  return text;
}

/// event_time: ISO-8601 or M/D/YYYY H:MM:SS (event_time.hpp).
std::optional<event_time> read_event_time(const json::value* f, event_problems& problems) {
  auto text = string_field("event_time", f, true, problems);
  if (!text)
    return std::nullopt;
  auto parsed = parse_event_time(*text);
  if (auto* t = std::get_if<event_time>(&parsed))
    return std::move(*t);
  problems.add("event_time: " + quoted(*text) + ": " + std::get<std::string>(parsed));
  return std::nullopt;
}

/// first_event: optional; a boolean or one of the upstream spellings. False when absent.
bool read_first_event(const json::value* f, event_problems& problems) {
  if (!f)
    return false;
  if (f->is_bool())
    return f->get_bool();
  const auto* s = f->if_string();
  if (s && (*s == "TRUE" || *s == "true" || *s == "1"))
    return true;
  if (!(s && (*s == "FALSE" || *s == "false" || *s == "0")))
    problems.add("first_event: must be true or false (or \"TRUE\", \"FALSE\", \"true\", "
                 "\"false\", \"1\", \"0\"), got "
                 + (s ? quoted({s->data(), s->size()}) : kind_name(*f)));
  return false;
}

/// Appends one event's COPY line, in the order of event_copy_columns.
void append_row(std::string& rows, int32_t user_id, std::optional<std::string_view> platform,
                const event_time& time, std::string_view event_type, bool first_event) {
  char buf[16];
  auto [end, err] = std::to_chars(buf, buf + sizeof buf, user_id);
  rows.append(buf, end);
  rows += '\t';
  if (platform)
    append_copy_text(rows, *platform);
  else
    rows += "\\N";
  rows += '\t';
  append_timestamp(rows, time);
  rows += '\t';
  append_copy_text(rows, event_type);
  rows += first_event ? "\tt\n" : "\tf\n";
}

/// Validates one event and appends its COPY line to `rows`, or returns what is wrong (every
/// problem, in field order).
std::optional<std::string> append_event(const json::value& v, std::string& rows) {
  const auto* obj = v.if_object();
  if (!obj)
    return "an event must be a JSON object, got " + kind_name(v);
  auto field = [&](std::string_view name) -> const json::value* {
    const auto* f = obj->if_contains(name);
    return f && !f->is_null() ? f : nullptr;
  };
  event_problems problems;
  auto user_id = read_user_id(field("user_id"), problems);
  auto event_type =
      read_text("event_type", field("event_type"), max_event_type_chars, true, problems);
  auto time = read_event_time(field("event_time"), problems);
  auto platform = read_text("platform", field("platform"), max_platform_chars, false, problems);
  auto first_event = read_first_event(field("first_event"), problems);
  if (!problems.empty())
    return problems.take();
  append_row(rows, *user_id, platform, *time, *event_type, first_event);
  return std::nullopt;
}

/// Arrays and objects nested deeper than this are refused (events are flat; the parser's
/// recursion and memory stay bounded whatever a producer sends).
constexpr size_t max_json_depth = 32;

json::parse_options parse_options() {
  json::parse_options opt;
  opt.max_depth = max_json_depth;
  return opt;
}

/// Why `text` is refused by the parser, in words a producer can act on.
std::string parse_problem(const json::error_code& ec, std::string_view text) {
  if (ec == json::error::too_deep)
    return "nested deeper than " + std::to_string(max_json_depth) + " levels";
  if (auto problem = utf8_problem(text))
    return *problem;
  return ec.message();
}

/// The texts of the top-level elements of a JSON array already known to be valid.
std::vector<std::string_view> array_elements(std::string_view text) {
  std::vector<std::string_view> out;
  size_t depth = 0;
  bool in_string = false, escape = false;
  size_t start = std::string_view::npos;
  auto close = [&](size_t end) {
    if (start == std::string_view::npos)
      return;
    auto element = text.substr(start, end - start);
    while (!element.empty()
           && (element.back() == ' ' || element.back() == '\n' || element.back() == '\r'
               || element.back() == '\t'))
      element.remove_suffix(1);
    out.push_back(element);
    start = std::string_view::npos;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escape)
        escape = false;
      else if (c == '\\')
        escape = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (depth == 1 && start == std::string_view::npos && !space && c != ',' && c != ']')
      start = i;
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0)
        close(i);
    } else if (c == ',' && depth == 1) {
      close(i);
    }
  }
  return out;
}

/// Counts a refused event and keeps its dead letter while under the limit.
void refuse(decoded_payload& out, int64_t index, std::string reason, std::string_view raw) {
  ++out.rejected;
  if (out.rejections.size() < max_dead_letters_per_payload)
    out.rejections.push_back({index, std::move(reason), std::string{raw}});
}

/// Decodes NDJSON into `out`; returns how many lines were JSON at all.
size_t decode_ndjson(std::string_view payload, decoded_payload& out) {
  size_t json_lines = 0;
  int64_t index = 0;
  while (!payload.empty()) {
    auto nl = payload.find('\n');
    auto line = trim(payload.substr(0, nl));
    payload = nl == std::string_view::npos ? std::string_view{} : payload.substr(nl + 1);
    if (line.empty())
      continue;
    json::monotonic_resource mr;
    json::error_code ec;
    auto v = json::parse(line, ec, &mr, parse_options());
    std::optional<std::string> problem;
    if (ec) {
      problem = "invalid JSON (" + parse_problem(ec, line) + ")";
    } else {
      ++json_lines;
      problem = append_event(v, out.rows);
    }
    if (problem)
      refuse(out, index, std::move(*problem), line);
    else
      ++out.accepted;
    ++index;
  }
  return json_lines;
}

} // namespace

decoded_payload reject_payload(std::string reason, std::string raw) {
  decoded_payload out;
  out.rejected = 1;
  out.rejections.push_back({-1, std::move(reason), std::move(raw)});
  return out;
}

decoded_payload decode_payload(std::string_view payload) {
  json::monotonic_resource mr;
  json::error_code ec;
  auto root = json::parse(payload, ec, &mr, parse_options());
  decoded_payload out;
  out.rows.reserve(payload.size()); // rows are shorter than their JSON: one allocation
  if (ec) {
    // Not one JSON value: NDJSON, one event per line, when at least one line is JSON (a bad
    // line is then that event's rejection); otherwise the payload is refused as a whole.
    auto whole = "payload is not JSON (" + parse_problem(ec, payload) + ")";
    if (payload.find('\n') == std::string_view::npos || decode_ndjson(payload, out) == 0)
      return reject_payload(std::move(whole), std::string{payload});
  } else if (auto* array = root.if_array()) {
    std::vector<std::string_view> texts; // found only when an event is refused
    for (size_t i = 0; i < array->size(); ++i) {
      if (auto problem = append_event((*array)[i], out.rows)) {
        if (texts.empty())
          texts = array_elements(payload);
        refuse(out, static_cast<int64_t>(i), std::move(*problem),
               i < texts.size() ? texts[i] : std::string_view{});
      } else {
        ++out.accepted;
      }
    }
  } else if (auto problem = append_event(root, out.rows)) {
    refuse(out, 0, std::move(*problem), trim(payload));
  } else {
    ++out.accepted;
  }
  if (out.accepted == 0 && out.rejected == 0)
    return reject_payload("payload has no events", std::string{payload});
  if (out.rejected > out.rejections.size())
    out.rejections.push_back({-1,
                              std::to_string(out.rejected) + " events refused; the first "
                                  + std::to_string(max_dead_letters_per_payload)
                                  + " are dead-lettered one by one, this row keeps the whole "
                                    "payload",
                              std::string{payload}});
  return out;
}

namespace {

/// `text` with COPY's text-format escapes undone (the ones append_copy_text writes).
std::string copy_unescaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    switch (text[++i]) {
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
      out += text[i];
    }
  }
  return out;
}

} // namespace

event_row parse_event_row(std::string_view line) {
  if (!line.empty() && line.back() == '\n')
    line.remove_suffix(1);
  std::string_view f[5];
  for (size_t k = 0; k < 5; ++k) {
    auto tab = line.find('\t');
    f[k] = line.substr(0, tab);
    line = tab == std::string_view::npos ? std::string_view{} : line.substr(tab + 1);
  }
  event_row row;
  std::from_chars(f[0].data(), f[0].data() + f[0].size(), row.user_id);
  if (f[1] != "\\N")
    row.platform = copy_unescaped(f[1]);
  row.event_ts = std::string{f[2]};
  row.event_type = copy_unescaped(f[3]);
  row.first_event = f[4] == "t";
  return row;
}

std::vector<payload_row> rows_with_index(const decoded_payload& p) {
  std::vector<int64_t> refused;
  for (const auto& r : p.rejections)
    refused.push_back(r.index);
  std::sort(refused.begin(), refused.end());
  std::vector<payload_row> out;
  std::string_view rows{p.rows};
  int64_t index = 0;
  auto next_refused = refused.begin();
  while (!rows.empty()) {
    for (; next_refused != refused.end() && *next_refused <= index; ++next_refused)
      if (*next_refused == index)
        ++index;
    auto nl = rows.find('\n');
    out.push_back({index++, rows.substr(0, nl + 1)});
    rows.remove_prefix(nl + 1);
  }
  return out;
}

} // namespace scpipe
