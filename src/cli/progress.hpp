#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace scpipe::cli {

/// A one-line progress display on stderr, shown only when stderr is a terminal (logs and
/// pipes stay clean). Redraws at most four times a second.
class progress {
public:
  /// `label` names the work (a file); `total_bytes` 0 when unknown.
  progress(std::string label, size_t total_bytes);
  ~progress();

  /// Reports bytes read and records done so far.
  void update(size_t bytes, size_t records);

  /// Clears the line.
  void done();

private:
  void draw(size_t bytes, size_t records);

  std::string label_;
  size_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

} // namespace scpipe::cli
