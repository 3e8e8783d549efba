#include "core/publish_messages.hpp"

#include <algorithm>

namespace scpipe {

std::optional<std::string> check_id_prefix(std::string_view prefix) {
  if (prefix.empty())
    return std::string{"must not be empty"};
  if (prefix.size() > max_id_prefix_bytes)
    return "must be at most " + std::to_string(max_id_prefix_bytes) + " bytes (message ids are at "
           + "most " + std::to_string(protocol::max_message_id_bytes) + "), got "
           + std::to_string(prefix.size());
  if (!std::all_of(prefix.begin(), prefix.end(), [](char c) { return c > ' ' && c < 0x7f; }))
    return std::string{"must be printable ASCII characters without spaces"};
  return std::nullopt;
}

std::string message_id(std::string_view prefix, size_t file, size_t sequence) {
  return std::string{prefix} + "-" + std::to_string(file) + "-" + std::to_string(sequence);
}

message_builder::message_builder(std::string id_prefix, size_t max_events, size_t max_bytes)
    : prefix_{std::move(id_prefix)}, max_events_{std::max<size_t>(max_events, 1)}, max_bytes_{
                                                                                       max_bytes} {}

void message_builder::start_file(size_t file) {
  file_ = file;
  sequence_ = 0;
  current_ = {};
}

void message_builder::cut(std::vector<outgoing_message>& out) {
  current_.payload += ']';
  current_.too_large = current_.payload.size() > max_bytes_;
  current_.id = message_id(prefix_, file_, ++sequence_);
  current_.file = file_;
  out.push_back(std::move(current_));
  current_ = {};
}

void message_builder::add(event_text event, std::vector<outgoing_message>& out) {
  // "[" + events joined by "," + "]": each event adds its size plus one separator or bracket.
  if (current_.events() > 0 && current_.payload.size() + 1 + event.json.size() + 1 > max_bytes_)
    cut(out);
  current_.payload += current_.events() == 0 ? '[' : ',';
  current_.payload += event.json;
  current_.lines.push_back(event.line);
  if (current_.events() == max_events_)
    cut(out);
}

void message_builder::flush(std::vector<outgoing_message>& out) {
  if (current_.events() > 0)
    cut(out);
}

} // namespace scpipe
