#pragma once

#include "core/event_reply.hpp"
#include "core/publish_messages.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace scpipe {

/// One reason events were rejected (or messages failed), with how many and where first.
struct reason_count {
  std::string reason;
  size_t events = 0;
  size_t file = 0; ///< 1-based file of the first event it concerned (0: unknown)
  size_t line = 0; ///< its line (0: unknown)
};

/// What `scpipe publish` achieved: counts of events and messages by outcome, and rejection
/// reasons aggregated by their text. Memory is bounded: at most max_reasons distinct reasons
/// are kept, the rest only counted.
class publish_summary {
public:
  static constexpr size_t max_reasons = 1000;

  /// A message was sent for the first time.
  void sent(const outgoing_message& message);

  /// A message was sent again (after a timeout or a `retry` reply).
  void resent();

  /// A message got its final reply (any status but `retry`). A `rejected` message counts all
  /// its events rejected; a `duplicate` counts as the service reports (its first time); one
  /// refused for a reused id (reason id_reused) counts apart: nothing of it was written or
  /// dead-lettered.
  void answered(const outgoing_message& message, const parsed_reply& r);

  /// A message got no final reply (given up, interrupted, an unintelligible reply).
  void failed(const outgoing_message& message, const std::string& reason);

  /// Nothing rejected, no id reused and every message answered: exit 0.
  bool clean() const {
    return rejected_events == 0 && failed_messages == 0 && reused_messages == 0;
  }

  /// Rejection reasons, most events first (ties: first seen first).
  std::vector<reason_count> rejection_reasons() const;

  /// Reasons messages failed, most events first.
  std::vector<reason_count> failure_reasons() const;

  /// The summary for standard output, e.g.
  ///   published 25 events in 3 messages: accepted 23, rejected 2, duplicate messages 0
  ///   (events 0), resent 1[, no final reply 1 messages (events 2)]
  ///   rejected events by reason:
  ///     2  user_id: not an integer (first at events.json:3)
  /// `files` names the published files (file 1 is files[0]); at most `listed` reasons shown.
  std::string format(const std::vector<std::string>& files, size_t listed = 10) const;

  size_t messages_sent = 0;
  size_t events_sent = 0;
  size_t resends = 0;
  size_t accepted_events = 0;
  size_t rejected_events = 0;
  size_t rejected_messages = 0; ///< answered `rejected`
  size_t duplicate_messages = 0;
  size_t duplicate_events = 0;
  size_t failed_messages = 0;
  size_t failed_events = 0;
  /// Messages refused because their id was committed before with another payload.
  size_t reused_messages = 0;
  size_t reused_events = 0;
  /// The first max_listed_ids of their ids, in reply order.
  std::vector<std::string> reused_ids;
  static constexpr size_t max_listed_ids = 10;
  /// Rejected events the replies give no reason for (a reply lists at most 100 errors).
  size_t unlisted_rejections = 0;
  /// Of those, events of `duplicate` messages (rejected the first time; reasons not repeated).
  size_t unlisted_duplicate_rejections = 0;
  /// Rejected events whose reason was not kept (past max_reasons distinct ones).
  size_t other_reason_events = 0;

private:
  struct reason_stat {
    reason_count count;
    size_t order = 0;
  };

  static void note(std::map<std::string, reason_stat>& reasons, const std::string& reason,
                   size_t events, size_t file, size_t line, size_t& overflow);
  static std::vector<reason_count> sorted(const std::map<std::string, reason_stat>& reasons);

  std::map<std::string, reason_stat> rejections_;
  std::map<std::string, reason_stat> failures_;
  size_t other_failure_events_ = 0;
};

/// "file:line" for a reason's first place, or "" when unknown.
std::string reason_place(const reason_count& r, const std::vector<std::string>& files);

} // namespace scpipe
