#pragma once

// `scpipe publish`'s side of the protocol (docs/protocol.md) on its DEALER socket: sending,
// taking replies, and telling what is wrong when nothing answers.

#include "core/publish_messages.hpp"
#include "core/publish_window.hpp"

#include <zmq.hpp>

#include <chrono>
#include <string>

namespace scpipe::cli {

/// Sends [id, payload]; false when the socket cannot take it now (high-water mark).
bool try_send(zmq::socket_t& socket, const outgoing_message& m);

/// Whether the DEALER has a connection to the service: ZeroMQ connects (and reconnects) in the
/// background and never reports a failure to the socket itself, so its monitor is asked. Used
/// only to say what is wrong when nothing answers.
class connection_watch {
public:
  /// Must come before socket.connect(), to see the first connection.
  connection_watch(zmq::context_t& context, zmq::socket_t& socket);

  /// The monitor's socket, to poll.
  zmq::socket_t& socket() {
    return events_;
  }

  /// Reads the events that arrived.
  void take_events();

  /// Whether a connection is up now (to any of the endpoints).
  bool connected() const {
    return connections_ > 0;
  }
  bool ever_connected() const {
    return ever_connected_;
  }

private:
  zmq::socket_t events_;
  size_t connections_ = 0;
  bool ever_connected_ = false;
};

/// Said once, at the first timeout when no reply has come at all: what the user can check.
/// `endpoint` may list several.
std::string nothing_answers(const std::string& endpoint, const connection_watch& watch,
                            std::chrono::milliseconds timeout, bool curve);

/// Takes the replies that arrived into `window`; returns how many.
size_t take_replies(zmq::socket_t& socket, publish_window& window);

/// How long poll may wait: until the next message falls due (rounded up); while a message
/// waits for room in the socket's queue (POLLOUT), at most 100 ms between looks at the time.
std::chrono::milliseconds poll_timeout(const publish_window& window, bool blocked,
                                       publish_window::time_point now);

} // namespace scpipe::cli
