#pragma once

#include "core/event_batch.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace scpipe {

/// The batcher's accounting, without actors or clocks of its own: messages go in, batches come
/// out, cut by rows, bytes or linger time.
///
///   add(m) ─▶ open batch ──full──▶ ready queue ──take()──▶ a writer
///                 └── lingered ≥ linger and a writer asks ──┘      │ failed
///                                        put_back(batch) ◀─────────┘
class batch_builder {
public:
  using clock = std::chrono::steady_clock;

  batch_builder(uint64_t max_rows, uint64_t max_bytes, std::chrono::milliseconds linger)
      : max_rows_{max_rows}, max_bytes_{max_bytes}, linger_{linger} {}

  /// Adds a message read at `now`. A message that does not fit the open batch closes it first;
  /// a message larger than a batch becomes a batch alone.
  void add(batch_message m, clock::time_point now);

  /// The next batch for a free writer: a full one first, else the open one once it has
  /// lingered; nullopt when nothing is due yet.
  std::optional<event_batch> take(clock::time_point now);

  /// A batch a writer could not finish goes back to the front, to be written first.
  void put_back(event_batch b);

  /// When the open batch becomes due (for a timer); nullopt when it is empty.
  std::optional<clock::time_point> due() const;

  /// Messages held, open or queued.
  size_t messages() const {
    return messages_;
  }

private:
  void close_open();

  uint64_t max_rows_;
  uint64_t max_bytes_;
  std::chrono::milliseconds linger_;
  event_batch open_;
  clock::time_point open_since_{};
  std::deque<event_batch> ready_;
  size_t messages_ = 0;
};

} // namespace scpipe
