#pragma once

// The events files `scpipe publish` reads, streamed into messages.

#include "cli/progress.hpp"
#include "core/event_files.hpp"
#include "core/publish_messages.hpp"

#include <deque>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace scpipe::cli {

/// A problem with an input file; the message names the file and, where known, the line.
class input_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The files, one after another, as messages: one chunk is read at a time, and only when the
/// caller asks, so memory stays within the messages in flight plus one chunk's worth.
class message_source {
public:
  message_source(const std::vector<std::string>& files, message_builder builder)
      : files_{files}, builder_{std::move(builder)}, buffer_(chunk_size) {}

  /// Appends the messages the next chunk completes to `ready` (possibly none); false when
  /// every file is read. Throws input_error.
  bool read_more(std::deque<outgoing_message>& ready);

  /// Redraws the progress line (on a terminal) with `answered` events.
  void show(size_t answered) {
    if (shown_)
      shown_->update(bytes_, answered);
  }

  void hide() {
    if (shown_)
      shown_->done();
  }

private:
  static constexpr size_t chunk_size = 256 << 10;

  /// Opens the next file; false when there is none. Throws input_error.
  bool open_next();

  const std::vector<std::string>& files_;
  message_builder builder_;
  std::vector<char> buffer_;
  size_t index_ = 0; ///< files opened so far; the current one is files_[index_ - 1]
  std::ifstream in_;
  std::optional<event_file_reader> reader_;
  std::vector<event_text> events_;
  size_t bytes_ = 0;
  std::optional<progress> shown_;
};

} // namespace scpipe::cli
