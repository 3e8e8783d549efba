#include "cli/progress.hpp"

#include "core/log.hpp"

#include <cstdio>
#include <unistd.h>

namespace scpipe::cli {

progress::progress(std::string label, size_t total_bytes)
    : label_{std::move(label)}, total_{total_bytes}, enabled_{isatty(STDERR_FILENO) == 1
                                                              && log::current_format()
                                                                     == log::format::text} {}

progress::~progress() {
  done();
}

void progress::update(size_t bytes, size_t records) {
  if (!enabled_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds{250})
    return;
  last_ = now;
  draw(bytes, records);
}

void progress::draw(size_t bytes, size_t records) {
  if (total_ > 0)
    std::fprintf(stderr, "\r%s: %3d%% (%zu records)", label_.c_str(),
                 static_cast<int>(100.0 * static_cast<double>(bytes) / static_cast<double>(total_)),
                 records);
  else
    std::fprintf(stderr, "\r%s: %zu records", label_.c_str(), records);
  std::fflush(stderr);
  drawn_ = true;
}

void progress::done() {
  if (drawn_)
    std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

} // namespace scpipe::cli
