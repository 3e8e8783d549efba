#pragma once

#include "actors/actors.hpp"
#include "core/config.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>

namespace scpipe {

class stream_links;
class broker_poller;
struct curve_server_keys;

/// The listener's state: the poll thread and the sockets (ZeroMQ appears nowhere else).
struct broker_listener_state {
  static inline const char* name = "broker_listener";

  std::unique_ptr<broker_poller> poller;

  broker_listener_state();
  ~broker_listener_state();
};

/// Binds the ROUTER socket of docs/protocol.md and runs a poll thread over it. The thread checks
/// the frames, hands each poll round's requests to the batcher as one raw_messages, and sends
/// each reply to its producer; replies reach it as a queue, with an inproc PULL socket only to
/// wake it when the queue was empty. A reply whose producer's pipe is full waits in the thread
/// (ZMQ_ROUTER_MANDATORY) until there is room. It stops reading while the messages it holds
/// (read and not yet answered, or answered and waiting for room) reach
/// broker.max_inflight_bytes or max_inflight_messages: ZeroMQ's high-water marks then hold
/// producers back.
///
///   producers ─▶ ROUTER ─▶ poll thread ─raw_messages─▶ batcher ─▶ writers
///   producers ◀─ ROUTER ◀─ poll thread ◀─queue (+ inproc wake)◀─ this actor ◀─reply_batch─┘
///
/// On stop (exit from the supervisor) the thread stops reading, keeps sending replies until
/// every message read is answered or broker.drain_timeout_ms passes (the rest are answered
/// `retry`), then the actor quits.
///
/// With `curve` (broker.curve_secret_key_file), the socket is a CURVE server and the poll
/// thread also answers ZAP: a client whose key is not in the allow-list fails its handshake,
/// so it is never read and never answered.
broker_listener_actor::behavior_type
broker_listener(broker_listener_actor::stateful_pointer<broker_listener_state> self,
                broker_config cfg, std::shared_ptr<stream_links> links,
                std::shared_ptr<const curve_server_keys> curve);

} // namespace scpipe
