#pragma once

#include "core/publish_messages.hpp"
#include "core/publish_summary.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

namespace scpipe {

/// How `scpipe publish` keeps messages in flight.
struct window_settings {
  /// Messages sent and not finally answered, at most.
  size_t capacity = 64;
  /// A message with no reply this long after a send is sent again.
  std::chrono::milliseconds reply_timeout{30000};
  /// After a `retry` reply the message is sent again after this delay, doubled for each
  /// further `retry` of the same message up to retry_max.
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{5000};
  /// Sends of one message, at most; when the last one is not finally answered in time, the
  /// message counts as failed. 0: never give up.
  size_t max_attempts = 10;
};

/// The clock of publish_window.
using publish_window_time = std::chrono::steady_clock::time_point;

/// Why a message is (re)sent.
enum class send_reason { first, timeout, retry };

/// The next message to send, and which attempt that is.
struct send_order {
  const outgoing_message* message = nullptr;
  size_t attempt = 1; ///< 1 for the first send
  send_reason reason = send_reason::first;
  publish_window_time due{}; ///< since when it is due
};

/// What a reply did.
enum class reply_outcome {
  final,     ///< the message is answered; its counts are in the summary
  retry,     ///< `retry`: the message is sent again later
  bad_reply, ///< the body does not follow docs/protocol.md: the message counts as failed
  unknown,   ///< no message in flight has this id (e.g. a second reply after a resend)
};

/// The in-flight bookkeeping of `scpipe publish`, without I/O: time is passed in. Messages
/// enter when there is room, are due to be sent at once, and are due again when no reply came
/// within the timeout or a `retry` reply asked for it; a final reply takes them out. The
/// caller sends what next_send() gives, and sleeps until next_due() or a reply.
///
///   add ──▶ due ──send──▶ awaiting ──final reply──▶ summary
///            ▲               │ timeout / retry (after a delay)
///            └───────────────┘ (past max_attempts: failed)
class publish_window {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  explicit publish_window(window_settings settings) : settings_{settings} {}

  /// Whether another message may enter.
  bool has_room() const {
    return entries_.size() < settings_.capacity;
  }

  /// Messages in the window.
  size_t size() const {
    return entries_.size();
  }

  /// Events of the messages in the window.
  size_t events() const {
    return events_;
  }

  /// Takes a message in (there must be room); it is due at once. Its id must be new.
  void add(outgoing_message message, time_point now);

  /// The message to send next at `now`, the longest due first; nothing when none is due. A
  /// message due again after its last attempt is given up on the way (failed in the summary).
  /// The same message is returned until sent() is called for it.
  std::optional<send_order> next_send(time_point now);

  /// Records that `id` was sent at `now`; its reply is awaited until now + reply_timeout.
  void sent(std::string_view id, time_point now);

  /// When the next message falls due; nothing when the window is empty.
  std::optional<time_point> next_due() const;

  /// Takes a reply's id and body (the frames of docs/protocol.md). `status` receives the
  /// reply's status when the id is in flight and the body is a reply.
  reply_outcome on_reply(std::string_view id, std::string_view body, time_point now,
                         std::string* problem = nullptr, reply_status* status = nullptr);

  /// Counts `message` as sent and answered `rejected` for `reason` without it entering the
  /// window: a message that must not be sent (larger than the service takes).
  void refuse(const outgoing_message& message, const std::string& reason);

  /// Gives up on every message in the window (e.g. on SIGINT): they count as failed with
  /// `reason`.
  void abandon(const std::string& reason);

  const publish_summary& summary() const {
    return summary_;
  }

private:
  struct entry {
    outgoing_message message;
    size_t attempts = 0;
    size_t retries = 0;
    send_reason reason = send_reason::first;
    time_point due;
    uint64_t order = 0;
  };
  using schedule_key = std::tuple<time_point, uint64_t, std::string>;

  void schedule(entry& e, time_point due, send_reason reason);
  void remove(std::map<std::string, entry, std::less<>>::iterator it);

  window_settings settings_;
  std::map<std::string, entry, std::less<>> entries_;
  std::set<schedule_key> schedule_; ///< (due, order, id) of every entry
  uint64_t next_order_ = 0;
  size_t events_ = 0;
  publish_summary summary_;
};

} // namespace scpipe
