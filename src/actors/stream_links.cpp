#include "actors/stream_links.hpp"

#include <caf/send.hpp>

namespace scpipe {

std::pair<event_batcher_actor, uint64_t> stream_links::batcher() const {
  std::lock_guard guard{mutex_};
  return {batcher_, batcher_epoch_};
}

broker_listener_actor stream_links::listener() const {
  std::lock_guard guard{mutex_};
  return listener_;
}

void stream_links::writer_started(size_t index, db_writer_actor writer) {
  std::lock_guard guard{mutex_};
  writers_.at(index) = writer;
  if (batcher_)
    caf::anon_send(batcher_, writer_up_atom::value, writer);
}

std::vector<db_writer_actor> stream_links::writers() const {
  std::lock_guard guard{mutex_};
  return writers_;
}

void stream_links::batcher_started(event_batcher_actor batcher) {
  std::lock_guard guard{mutex_};
  batcher_ = std::move(batcher);
  ++batcher_epoch_;
}

void stream_links::listener_started(broker_listener_actor listener) {
  std::lock_guard guard{mutex_};
  listener_ = std::move(listener);
}

} // namespace scpipe
