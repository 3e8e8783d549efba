#pragma once

#include "core/event_files.hpp"
#include "core/protocol.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// One request of docs/protocol.md as `scpipe publish` sends it: an id and a payload (a JSON array
/// of event objects), with where its events came from, so that replies can name them.
struct outgoing_message {
  std::string id;
  std::string payload;
  size_t file = 0;           ///< 1-based position of the file among those published
  std::vector<size_t> lines; ///< the line each event starts on, in payload order
  /// Larger than the builder's max_bytes (one event too large even alone): not to be sent.
  bool too_large = false;

  size_t events() const {
    return lines.size();
  }
};

/// Longest id prefix: room is left for "-<file>-<sequence>" (two 20-digit numbers at most).
constexpr size_t max_id_prefix_bytes = protocol::max_message_id_bytes - 2 * 21;

/// Checks an id prefix: 1 to max_id_prefix_bytes printable ASCII characters, no spaces (ids
/// appear in logs and error messages). Returns what is wrong, or nothing.
std::optional<std::string> check_id_prefix(std::string_view prefix);

/// The id of the `sequence`th message (1-based) of the `file`th file (1-based):
/// "<prefix>-<file>-<sequence>". The same prefix, files and batching give the same ids, so a
/// re-run is answered `duplicate` where the service already committed a message.
std::string message_id(std::string_view prefix, size_t file, size_t sequence);

/// Packs a file's events into messages, in order: a message is cut at `max_events` events, or
/// before its payload would exceed `max_bytes` (an event that alone is larger goes alone, marked
/// too_large: the service would refuse it, so it is not sent).
class message_builder {
public:
  message_builder(std::string id_prefix, size_t max_events, size_t max_bytes);

  /// Starts the `file`th file (1-based): message sequence numbers start again at 1. A message
  /// still being filled must have been taken with flush() before.
  void start_file(size_t file);

  /// Adds one event, appending every message it completes to `out`.
  void add(event_text event, std::vector<outgoing_message>& out);

  /// Appends the message being filled, if it has any event, to `out` (end of a file).
  void flush(std::vector<outgoing_message>& out);

private:
  void cut(std::vector<outgoing_message>& out);

  std::string prefix_;
  size_t max_events_;
  size_t max_bytes_;
  size_t file_ = 1;
  size_t sequence_ = 0;
  outgoing_message current_;
};

} // namespace scpipe
