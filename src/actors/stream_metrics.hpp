#pragma once

#include "core/event_reply.hpp"
#include "core/metrics.hpp"

namespace scpipe {

/// Every metric the event stream's actors keep, in the process registry (metrics::global()),
/// named in this one place. Registered on first use; a restarted actor keeps counting.
struct stream_metrics {
  // -- broker_listener --
  metrics::counter& requests;              ///< requests read from the socket
  metrics::counter& requests_refused;      ///< refused at the socket (frames, id)
  metrics::gauge& inflight_messages;       ///< read, not yet answered
  metrics::gauge& inflight_bytes;          ///< their payload bytes
  metrics::gauge& reading_paused;          ///< 1 while the in-flight bound stops reading
  metrics::counter& backpressure_pauses;   ///< times reading stopped at the bound
  metrics::counter& auth_denied;           ///< CURVE handshakes refused by the allow-list
  metrics::counter& replies_undeliverable; ///< replies whose producer had disconnected
  metrics::counter& feed_batches;          ///< batches published on the live feed
  metrics::counter& feed_events;           ///< their events
  metrics::counter& feed_batches_dropped;  ///< batches not published: the feed's queue was full
  // -- event_batcher --
  metrics::gauge& batcher_messages;     ///< messages waiting for a writer
  metrics::counter& batches_reassigned; ///< batches handed to another writer after a failure
  // -- db_writer --
  metrics::counter& batches_committed;
  metrics::histogram& batch_rows;        ///< events + dead letters per committed batch
  metrics::histogram& commit_seconds;    ///< one attempt that committed, start to commit
  metrics::counter& events_accepted;     ///< events committed to sc.sc_user_event
  metrics::counter& events_rejected;     ///< events (or payloads) dead-lettered
  metrics::counter& ids_reused;          ///< messages refused: their id came with another payload
  metrics::counter& events_unknown_user; ///< accepted events of user ids sc.sc_user lacked
  metrics::counter& write_retries;       ///< failed attempts retried after a backoff
  metrics::counter& batches_given_up;    ///< batches answered retry past the write deadline

  /// Replies sent with `status`.
  metrics::counter& replies(reply_status status) const;

  static const stream_metrics& get();
};

} // namespace scpipe
