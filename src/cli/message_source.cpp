#include "cli/message_source.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace scpipe::cli {

bool message_source::read_more(std::deque<outgoing_message>& ready) {
  if (!in_.is_open() && !open_next())
    return false;
  const auto& path = files_[index_ - 1];
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  auto n = static_cast<size_t>(in_.gcount());
  if (in_.bad())
    throw input_error{path + ": read error: " + std::strerror(errno)};
  bytes_ += n;
  auto err = n == 0 ? reader_->finish(events_)
                    : reader_->feed(std::string_view{buffer_.data(), n}, events_);
  if (err)
    throw input_error{path + ":" + std::to_string(err->line) + ": " + err->message};
  std::vector<outgoing_message> done;
  for (auto& e : events_)
    builder_.add(std::move(e), done);
  events_.clear();
  if (n == 0) {
    builder_.flush(done);
    in_.close();
    shown_.reset();
  }
  for (auto& m : done)
    ready.push_back(std::move(m));
  return true;
}

bool message_source::open_next() {
  if (index_ == files_.size())
    return false;
  const auto& path = files_[index_++];
  in_.open(path, std::ios::binary);
  if (!in_)
    throw input_error{path + ": cannot open: " + std::strerror(errno)};
  reader_.emplace(event_file_format_of(path));
  builder_.start_file(index_);
  bytes_ = 0;
  std::error_code size_error;
  auto total = std::filesystem::file_size(path, size_error);
  shown_.emplace(path, size_error ? 0 : static_cast<size_t>(total));
  return true;
}

} // namespace scpipe::cli
