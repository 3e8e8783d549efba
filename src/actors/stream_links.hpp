#pragma once

#include "actors/actors.hpp"

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace scpipe {

/// The current handles of the event stream's actors. Each is restarted on its own by the
/// supervisor, so a handle captured once would go stale; the supervisor's spawn functions
/// record every (re)started actor here and the others read it when they need a peer.
///
///   supervisor ──spawn──▶ db_writer × N ──writer_up──▶ event_batcher ◀──raw── broker_listener
///                              ▲   └──────reply_batch──────┘  └──reply_batch──▶ (poll thread)
class stream_links {
public:
  explicit stream_links(size_t writers) : writers_(writers) {}

  /// The batcher now, and how many batchers were started before it (a change tells the
  /// listener that messages it handed to an earlier one will never be answered).
  std::pair<event_batcher_actor, uint64_t> batcher() const;
  broker_listener_actor listener() const;

  /// Records a (re)started writer and introduces it to the batcher.
  void writer_started(size_t index, db_writer_actor writer);
  /// The writers running now (some handles may belong to writers that just died).
  std::vector<db_writer_actor> writers() const;
  void batcher_started(event_batcher_actor batcher);
  void listener_started(broker_listener_actor listener);

private:
  mutable std::mutex mutex_;
  std::vector<db_writer_actor> writers_;
  event_batcher_actor batcher_;
  uint64_t batcher_epoch_ = 0;
  broker_listener_actor listener_;
};

} // namespace scpipe
