#pragma once

// Atoms and message payloads exchanged between scpipe's actors. Together with actors.hpp this
// file is the whole conversation between the actors.

#include "core/event_batch.hpp"
#include "core/producer_session.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace caf {
class actor;
class actor_system;
} // namespace caf

namespace scpipe {

// -- atoms ---------------------------------------------------------------------------------

/// Asks an actor to stop gracefully (the supervisor: stop intake, drain, stop children).
using stop_atom = caf::atom_constant<caf::atom("stop")>;

/// The supervisor's own reminder that a failed child's backoff is over.
using restart_atom = caf::atom_constant<caf::atom("restart")>;

/// The supervisor's own reminder that a stopping child exceeded its stop timeout.
using stop_timeout_atom = caf::atom_constant<caf::atom("stop_to")>;

/// A (re)started db_writer offers itself to the batcher.
using writer_up_atom = caf::atom_constant<caf::atom("writer_up")>;

/// The batcher's own reminder that its open batch has lingered long enough.
using linger_atom = caf::atom_constant<caf::atom("linger")>;

/// Time to delete message ids older than broker.dedup_retention_days from the ledger.
using prune_atom = caf::atom_constant<caf::atom("prune")>;

/// Time to check that the database still answers while no batch is being written (/readyz).
using probe_atom = caf::atom_constant<caf::atom("probe")>;

/// A writer's own reminder that the backoff before retrying its batch is over.
using retry_atom = caf::atom_constant<caf::atom("retry")>;

/// The listener's poll thread has answered every message it read since the stop.
using drained_atom = caf::atom_constant<caf::atom("drained")>;

// -- payloads ------------------------------------------------------------------------------

/// A child the supervisor starts (in list order), monitors, restarts and stops (in reverse
/// order). `spawn` is called for the first start and again for every restart; whatever typed
/// handles the child needs are captured by it.
struct child_spec {
  /// Unique name, used in logs.
  std::string name;
  /// Spawns the child in the given actor system and returns its handle.
  std::function<caf::actor(caf::actor_system&)> spawn;
  /// Optional: called on the supervisor's thread right after the child is asked to stop, to
  /// unblock a detached child blocked in I/O (e.g. cancel its running query); a blocked actor
  /// sees the stop request only when its handler returns.
  std::function<void()> interrupt = {};
};

/// A request as the broker listener read it (listener's poll thread → batcher).
struct raw_message {
  /// The listener's number for the request: the reply is routed back by it.
  uint64_t seq = 0;
  /// The producer's message id (checked: 1..255 bytes).
  std::string id;
  /// The payload; empty when it was over broker.max_message_bytes.
  std::string payload;
  /// The payload's size as received.
  uint64_t size = 0;
  /// Whether the payload was over broker.max_message_bytes (and dropped).
  bool too_large = false;
  /// When it was read, in microseconds since the Unix epoch.
  int64_t received_at_us = 0;
  /// Its producer session (the third frame); producer empty when it came without one.
  producer_session session;
};

/// The requests the listener read in one poll round, handed over together: one actor message
/// (one wake-up of the batcher) per round, not per request.
struct raw_messages {
  std::vector<raw_message> messages;
};

/// The answer to one request, ready to send: the listener adds the route and the id.
struct message_reply {
  uint64_t seq = 0;
  /// The reply's JSON object (docs/protocol.md).
  std::string body;
};

/// Replies to send (writer → batcher → listener).
struct reply_batch {
  std::vector<message_reply> replies;
  /// For the live feed (broker.publish_endpoint): NDJSON of the events this batch wrote, and
  /// how many; empty when the feed is off or nothing was written.
  std::string feed;
  uint64_t feed_events = 0;
};

/// A batch handed to a writer. Shared, not copied: the batcher keeps it to hand it to another
/// writer if this one fails. Local only: never serialized.
struct shared_batch {
  std::shared_ptr<const event_batch> batch;
};

// -- inspection (CAF needs it for every message type) -----------------------------------

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, raw_message& x) {
  return f(caf::meta::type_name("raw_message"), x.seq, x.id, x.payload, x.size, x.too_large,
           x.received_at_us, x.session.producer, x.session.sequence);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, raw_messages& x) {
  return f(caf::meta::type_name("raw_messages"), x.messages);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, message_reply& x) {
  return f(caf::meta::type_name("message_reply"), x.seq, x.body);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, reply_batch& x) {
  return f(caf::meta::type_name("reply_batch"), x.replies, x.feed, x.feed_events);
}

} // namespace scpipe

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(scpipe::shared_batch)
