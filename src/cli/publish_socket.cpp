#include "cli/publish_socket.hpp"

#include "core/log.hpp"

#include <zmq_addon.hpp>

#include <cstring>

namespace scpipe::cli {

namespace {

constexpr const char* component = "publish";

} // namespace

/// Sends [id, payload]; false when the socket cannot take it now (high-water mark).
bool try_send(zmq::socket_t& socket, const outgoing_message& m) {
  if (!socket.send(zmq::buffer(m.id), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
    return false;
  // The first frame was taken, so the rest of the message is too (ZeroMQ sends multipart
  // messages atomically): this does not block.
  (void)socket.send(zmq::buffer(m.payload), zmq::send_flags::none);
  return true;
}

connection_watch::connection_watch(zmq::context_t& context, zmq::socket_t& socket)
    : events_{context, zmq::socket_type::pair} {
  static constexpr const char* address = "inproc://scpipe-publish-monitor";
  if (zmq_socket_monitor(socket.handle(), address, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED)
      != 0)
    throw zmq::error_t{};
  events_.connect(address);
}

void connection_watch::take_events() {
  for (;;) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(events_, std::back_inserter(frames), zmq::recv_flags::dontwait))
      return;
    if (frames.empty() || frames[0].size() < sizeof(uint16_t))
      continue;
    uint16_t event = 0;
    std::memcpy(&event, frames[0].data(), sizeof event);
    if (event == ZMQ_EVENT_CONNECTED) {
      ++connections_;
      ever_connected_ = true;
    } else if (event == ZMQ_EVENT_DISCONNECTED && connections_ > 0) {
      --connections_;
    }
  }
}

/// Said once, at the first timeout when no reply has come at all: what the user can check.
std::string nothing_answers(const std::string& endpoint, const connection_watch& watch,
                            std::chrono::milliseconds timeout, bool curve) {
  std::string why;
  if (!watch.ever_connected())
    why = "no connection to it could be made: is `scpipe run` running there, and is "
          "broker.endpoint (SCPIPE_BROKER_ENDPOINT) right?";
  else if (curve)
    why = std::string{watch.connected() ? "the connection is up" : "a connection was made"}
          + ", but nothing replies: is it `scpipe run`, and does its CURVE allow-list hold this "
            "client's key (a refused key gets no reply)?";
  else
    why = std::string{watch.connected() ? "the connection is up" : "a connection was made"}
          + ", but nothing replies: is it `scpipe run`, or is it overloaded?";
  return "nothing answers at " + endpoint + " within --timeout-ms ("
         + std::to_string(timeout.count()) + " ms): " + why
         + " Resending under the same ids, up to --max-attempts.";
}

/// Takes the replies that arrived; returns how many.
size_t take_replies(zmq::socket_t& socket, publish_window& window) {
  size_t taken = 0;
  for (;; ++taken) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait))
      return taken;
    if (frames.size() != 2) {
      log::warn(component, "reply ignored: not two frames [id, body]", {{"frames", frames.size()}});
      continue;
    }
    auto id = frames[0].to_string_view();
    std::string problem;
    switch (
        window.on_reply(id, frames[1].to_string_view(), publish_window::clock::now(), &problem)) {
    case reply_outcome::bad_reply:
      log::error(component, "reply does not follow the protocol; message counted as failed",
                 {{"id", id}, {"problem", problem}});
      break;
    case reply_outcome::unknown:
      log::debug(component, "reply for a message no longer in flight ignored", {{"id", id}});
      break;
    case reply_outcome::retry:
      log::debug(component, "answered retry; resending later", {{"id", id}});
      break;
    case reply_outcome::final:
      break;
    }
  }
}

/// How long poll may wait: until the next message falls due (rounded up); while a message
/// waits for room in the socket's queue (POLLOUT), at most 100 ms between looks at the time.
std::chrono::milliseconds poll_timeout(const publish_window& window, bool blocked,
                                       publish_window::time_point now) {
  if (blocked)
    return std::chrono::milliseconds{100};
  auto due = window.next_due();
  if (!due)
    return std::chrono::milliseconds{-1};
  if (*due <= now)
    return std::chrono::milliseconds{0};
  return std::chrono::ceil<std::chrono::milliseconds>(*due - now);
}

} // namespace scpipe::cli
