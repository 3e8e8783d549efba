#include "core/log.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

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

scrubbing_buffer::scrubbing_buffer(std::streambuf* sink) : sink_{sink} {}

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
  scrub(text);
  sink_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
}

void scrub_stream(std::ostream& stream) {
  // Never freed: std::cout and std::cerr are flushed at exit, after static objects are gone.
  auto* buffer = new scrubbing_buffer{stream.rdbuf()};
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

void write(level lvl, std::string_view component, std::string_view message,
           const boost::json::object& fields) {
  if (lvl < min_level.load())
    return;
  auto line = format_line(lvl, component, message, fields);
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
