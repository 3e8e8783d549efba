#include "core/batch_builder.hpp"

namespace scpipe {

void batch_builder::close_open() {
  if (open_.messages.empty())
    return;
  ready_.push_back(std::move(open_));
  open_ = {};
}

void batch_builder::add(batch_message m, clock::time_point now) {
  auto rows = rows_of(m);
  auto bytes = bytes_of(m);
  if (!open_.messages.empty()
      && (open_.rows + rows > max_rows_ || open_.bytes + bytes > max_bytes_))
    close_open();
  if (open_.messages.empty())
    open_since_ = now;
  open_.messages.push_back(std::move(m));
  open_.rows += rows;
  open_.bytes += bytes;
  ++messages_;
  if (open_.rows >= max_rows_ || open_.bytes >= max_bytes_)
    close_open();
}

std::optional<event_batch> batch_builder::take(clock::time_point now) {
  if (ready_.empty() && !open_.messages.empty() && now >= open_since_ + linger_)
    close_open();
  if (ready_.empty())
    return std::nullopt;
  auto b = std::move(ready_.front());
  ready_.pop_front();
  messages_ -= b.messages.size();
  return b;
}

void batch_builder::put_back(event_batch b) {
  messages_ += b.messages.size();
  ready_.push_front(std::move(b));
}

std::optional<batch_builder::clock::time_point> batch_builder::due() const {
  if (open_.messages.empty())
    return std::nullopt;
  return open_since_ + linger_;
}

} // namespace scpipe
