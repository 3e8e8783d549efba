#pragma once

#include "core/event_payload.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// The status of a reply (protocol.md).
enum class reply_status { ok, partial, rejected, duplicate, retry };

/// Every status, in the order of protocol.md's table.
inline constexpr reply_status all_reply_statuses[] = {reply_status::ok, reply_status::partial,
                                                      reply_status::rejected,
                                                      reply_status::duplicate, reply_status::retry};

/// The protocol's name of `s`, e.g. "partial".
std::string_view to_string(reply_status s);

/// The status of a message that committed `accepted` events and dead-lettered `rejected`.
reply_status status_for(uint64_t accepted, uint64_t rejected);

/// At most this many errors are listed in a reply.
inline constexpr size_t max_reply_errors = 100;

/// The `reason` of a `rejected` reply to a message whose id was committed before with a
/// different payload (protocol.md): nothing of it was written; it must go under a new id.
inline constexpr std::string_view id_reused_reason = "id_reused";

/// The reply's JSON object: {"status", "accepted", "rejected", "errors": [{"index","error"}]},
/// listing the first max_reply_errors rejections, and "reason" when `reason` is not empty.
std::string render_reply(reply_status status, uint64_t accepted, uint64_t rejected,
                         const std::vector<event_rejection>& rejections = {},
                         std::string_view reason = {});

/// A reply as a producer reads it.
struct parsed_reply {
  reply_status status = reply_status::retry;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::vector<event_rejection> errors; ///< `raw` stays empty
  std::string reason;                  ///< e.g. id_reused_reason; empty when absent
};

/// Reads a reply body; nullopt when it is not a reply of protocol.md.
std::optional<parsed_reply> parse_reply(std::string_view body);

} // namespace scpipe
