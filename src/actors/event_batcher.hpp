#pragma once

#include "actors/actors.hpp"
#include "core/batch_builder.hpp"
#include "core/config.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace scpipe {

class stream_links;

/// What the batcher is told at spawn.
struct batcher_settings {
  uint64_t max_rows = static_cast<uint64_t>(batcher_config{}.max_rows);
  uint64_t max_bytes = static_cast<uint64_t>(batcher_config{}.max_bytes);
  std::chrono::milliseconds linger{batcher_config{}.linger_ms};
  uint64_t max_message_bytes = static_cast<uint64_t>(broker_config{}.max_message_bytes);
  /// How often a writer is asked to prune the ledger.
  std::chrono::milliseconds prune_interval{std::chrono::minutes{10}};
  /// How often, while no batch is written, an idle writer checks that the database answers:
  /// /readyz follows the database within about this long, at one trivial query per interval.
  std::chrono::milliseconds probe_interval{std::chrono::seconds{1}};
};

batcher_settings batcher_settings_of(const config& cfg);

/// The batcher's state: the batches being built and the writers' availability.
struct event_batcher_state {
  static inline const char* name = "event_batcher";

  batcher_settings settings;
  std::shared_ptr<stream_links> links;
  batch_builder builder{0, 0, std::chrono::milliseconds{0}};
  /// The writers known, and the batch each is writing (null while it is free). A writer that
  /// dies holding a batch never answers it (in CAF 0.17 a response promise dies silently with
  /// its actor), so the batch is taken back from here when its down message comes.
  struct writer_slot {
    db_writer_actor handle;
    std::shared_ptr<const event_batch> batch;
  };
  std::vector<writer_slot> writers;
  /// Whether a linger reminder is pending.
  bool linger_scheduled = false;
  /// When a writer last finished a batch (a write is as good a check as a probe).
  std::chrono::steady_clock::time_point last_write{};
};

/// Turns payloads into validated rows (core/event_payload), groups whole messages into batches
/// (core/event_batch), hands each to a free writer and forwards the writers' replies to the
/// listener. A batch whose writer dies is handed to another.
///
///  raw_messages ─decode─▶ builder ─take()─▶ free writer ─reply_batch─▶ listener
///                             ▲                   │ writer died
///                             └──── put_back ─────┘
event_batcher_actor::behavior_type
event_batcher(event_batcher_actor::stateful_pointer<event_batcher_state> self,
              batcher_settings settings, std::shared_ptr<stream_links> links);

} // namespace scpipe
