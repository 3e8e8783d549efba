#pragma once

// A producer speaking docs/protocol.md over a real ZeroMQ DEALER socket, for end-to-end tests.

#include "core/event_reply.hpp"
#include "core/producer_session.hpp"
#include "support/process.hpp"

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace scpipe::test {

class producer {
public:
  explicit producer(const std::string& endpoint);

  /// Sends a request of exactly these frames (docs/protocol.md wants two: id, payload).
  void send_frames(const std::vector<std::string>& frames);
  void send(const std::string& id, const std::string& payload) {
    send_frames({id, payload});
  }

  /// Sends without blocking; false when ZeroMQ's high-water mark is reached.
  bool try_send(const std::string& id, const std::string& payload);

  /// One reply, as frames; nullopt after `timeout`.
  std::optional<std::vector<std::string>> receive_frames(std::chrono::milliseconds timeout);

  /// A reply: its id and parsed body (the test fails on a malformed one).
  struct reply {
    std::string id;
    parsed_reply body;
    std::string text;
  };
  std::optional<reply> receive(std::chrono::milliseconds timeout);

  /// Sends and waits for the reply to this id.
  reply request(const std::string& id, const std::string& payload,
                std::chrono::milliseconds timeout = std::chrono::seconds{30});

  /// What publish() saw.
  struct publish_stats {
    size_t ok = 0, partial = 0, rejected = 0, duplicate = 0;
    size_t retry_replies = 0; ///< `retry` answers (each resent)
    size_t resends = 0;       ///< resends after a timeout or `retry`
    uint64_t accepted = 0;    ///< events accepted (ok, partial, and duplicates' first counts)
    size_t unanswered = 0;    ///< messages without a final answer when giving up
  };

  /// Sends every (id, payload) keeping up to `window` in flight, resending the same id after
  /// `resend_after` without a reply or after a `retry` reply, until each has a final answer or
  /// `give_up` has passed. `on_reply`, when given, sees every reply to a message in flight as
  /// it arrives (e.g. to time them).
  publish_stats publish(const std::vector<std::pair<std::string, std::string>>& messages,
                        size_t window, std::chrono::milliseconds resend_after,
                        std::chrono::milliseconds give_up,
                        const std::function<void(const reply&)>& on_reply = {});

  /// From now on publish() sends message i of its list with the session frame
  /// "<producer> <first + i>" (docs/protocol.md, producer sessions).
  void use_session(std::string producer, uint64_t first = 0) {
    session_producer_ = std::move(producer);
    session_first_ = first;
  }

private:
  void send_message(const std::vector<std::pair<std::string, std::string>>& messages, size_t index);

  std::string session_producer_; ///< empty: no session
  uint64_t session_first_ = 0;
  zmq::context_t ctx_{1};
  zmq::socket_t socket_{ctx_, zmq::socket_type::dealer};
};

/// `count` valid events as a JSON array payload; user ids start at `first_user`.
std::string events_payload(int count, int first_user = 1, const std::string& type = "login");

/// `n` messages "<prefix>-<i>" of `per` events each; every event has its own user id, so a
/// doubled one shows.
std::vector<std::pair<std::string, std::string>> numbered_messages(int n, int per,
                                                                   const std::string& prefix);

} // namespace scpipe::test
