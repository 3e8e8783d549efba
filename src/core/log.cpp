#include "core/log.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <streambuf>
#include <unistd.h>
#include <vector>

namespace scpipe::log {

namespace {

std::atomic<level> min_level{level::info};
std::atomic<int> output_fd{2};
std::atomic<format> stderr_format{format::json};
/// The registered secrets. Never destroyed: std::cout and std::cerr are flushed through the
/// scrubber at exit, after static objects are gone.
struct secret_registry {
  std::mutex mutex;
  std::vector<std::string> secrets;
};
secret_registry& registry() {
  static auto* instance = new secret_registry;
  return *instance;
}

/// UTC time with milliseconds, e.g. 2026-11-27T09:31:29.123Z.
std::string now_utc() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

void scrub(std::string& line) {
  auto& r = registry();
  std::lock_guard guard{r.mutex};
  for (const auto& secret : r.secrets)
    for (auto pos = line.find(secret); pos != std::string::npos; pos = line.find(secret, pos + 4))
      line.replace(pos, secret.size(), "****");
}

} // namespace

std::optional<level> parse_level(std::string_view name) {
  for (auto lvl : {level::debug, level::info, level::warn, level::error})
    if (name == to_string(lvl))
      return lvl;
  return std::nullopt;
}

const char* to_string(level lvl) {
  switch (lvl) {
  case level::debug:
    return "debug";
  case level::info:
    return "info";
  case level::warn:
    return "warn";
  case level::error:
    return "error";
  }
  return "info";
}

std::optional<format> parse_format(std::string_view name, bool to_terminal) {
  if (name == "json")
    return format::json;
  if (name == "text")
    return format::text;
  if (name == "auto")
    return to_terminal ? format::text : format::json;
  return std::nullopt;
}

void set_format(format f) {
  stderr_format = f;
}

format current_format() {
  return stderr_format.load();
}

void set_level(level lvl) {
  min_level = lvl;
}

bool enabled(level lvl) {
  return lvl >= min_level.load();
}

void add_secret(std::string secret) {
  if (secret.empty())
    return;
  // Lines are JSON: a secret with quotes or backslashes appears escaped there.
  auto quoted = boost::json::serialize(boost::json::string{secret});
  auto escaped = quoted.substr(1, quoted.size() - 2);
  auto& r = registry();
  std::lock_guard guard{r.mutex};
  if (escaped != secret)
    r.secrets.push_back(std::move(escaped));
  r.secrets.push_back(std::move(secret));
}

void clear_secrets() {
  auto& r = registry();
  std::lock_guard guard{r.mutex};
  r.secrets.clear();
}

std::string scrubbed(std::string text) {
  scrub(text);
  return text;
}

scrubbing_buffer::scrubbing_buffer(std::streambuf* sink, bool as_log_lines)
    : sink_{sink}, as_log_lines_{as_log_lines} {}

scrubbing_buffer::int_type scrubbing_buffer::overflow(int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof()))
    return traits_type::not_eof(ch);
  std::lock_guard guard{mutex_};
  pending_ += traits_type::to_char_type(ch);
  pass_on_lines();
  return ch;
}

std::streamsize scrubbing_buffer::xsputn(const char* s, std::streamsize n) {
  std::lock_guard guard{mutex_};
  pending_.append(s, static_cast<size_t>(n));
  pass_on_lines();
  return n;
}

int scrubbing_buffer::sync() {
  std::lock_guard guard{mutex_};
  pass_on(pending_.size());
  return sink_->pubsync();
}

void scrubbing_buffer::pass_on_lines() {
  auto end = pending_.find_last_of("\n\r");
  if (end != std::string::npos)
    pass_on(end + 1);
}

void scrubbing_buffer::pass_on(size_t n) {
  auto text = pending_.substr(0, n);
  pending_.erase(0, n);
  if (as_log_lines_ && current_format() == format::json) {
    std::string lines;
    for (size_t begin = 0; begin < text.size();) {
      auto end = std::min(text.find_first_of("\n\r", begin), text.size());
      if (end > begin) // command_line_as_log_line scrubs
        lines +=
            command_line_as_log_line(std::string_view{text}.substr(begin, end - begin), component_);
      begin = end + 1;
    }
    text = std::move(lines);
  } else {
    scrub(text);
  }
  sink_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
}

std::string command_line_as_log_line(std::string_view line, std::string& component) {
  constexpr std::string_view program = "scpipe";
  auto message = line;
  if (!line.starts_with(' ') && !line.starts_with('\t')) {
    component = program;
    // "scpipe: message" or "scpipe COMMAND: message"
    auto colon = line.find(": ");
    if (line.starts_with(program) && colon != std::string_view::npos) {
      auto name = line.substr(program.size(), colon - program.size());
      if (name.empty() || (name.front() == ' ' && name.find(' ', 1) == std::string_view::npos)) {
        if (!name.empty())
          component = name.substr(1);
        message = line.substr(colon + 2);
      }
    }
  }
  return format_line(level::error, component, message, {});
}

void scrub_stream(std::ostream& stream, bool as_log_lines) {
  // Never freed: std::cout and std::cerr are flushed at exit, after static objects are gone.
  auto* buffer = new scrubbing_buffer{stream.rdbuf(), as_log_lines};
  stream.rdbuf(buffer);
  stream.unsetf(std::ios::unitbuf);
}

void set_output_fd(int fd) {
  output_fd = fd;
}

std::string format_line(level lvl, std::string_view component, std::string_view message,
                        const boost::json::object& fields) {
  boost::json::object line;
  line["time"] = now_utc();
  line["level"] = to_string(lvl);
  line["component"] = component;
  line["message"] = message;
  line["fields"] = fields;
  auto out = boost::json::serialize(line);
  scrub(out);
  out += '\n';
  return out;
}

std::string format_text_line(level lvl, std::string_view component, std::string_view message,
                             const boost::json::object& fields) {
  std::string out = now_utc();
  out += ' ';
  std::string name = to_string(lvl);
  name.resize(5, ' ');
  out += name;
  out += ' ';
  out += component;
  out += ": ";
  out += message;
  for (const auto& [key, value] : fields) {
    out += ' ';
    out.append(key.data(), key.size());
    out += '=';
    if (value.is_string()) {
      std::string_view text = value.get_string();
      bool plain = !text.empty() && text.find_first_of(" \"=\n\r\t\\") == std::string_view::npos;
      out += plain ? std::string{text} : boost::json::serialize(value);
    } else {
      out += boost::json::serialize(value);
    }
  }
  // One line per entry, whatever the message holds.
  for (auto& ch : out)
    if (ch == '\n' || ch == '\r')
      ch = ' ';
  scrub(out);
  out += '\n';
  return out;
}

void write(level lvl, std::string_view component, std::string_view message,
           const boost::json::object& fields) {
  if (lvl < min_level.load())
    return;
  auto line = current_format() == format::json ? format_line(lvl, component, message, fields)
                                               : format_text_line(lvl, component, message, fields);
  // One write per line keeps lines whole when several threads log at once.
  const char* data = line.data();
  auto left = line.size();
  while (left > 0) {
    auto n = ::write(output_fd.load(), data, left);
    if (n <= 0)
      return; // nowhere to report a failing log
    data += n;
    left -= static_cast<size_t>(n);
  }
}

} // namespace scpipe::log
