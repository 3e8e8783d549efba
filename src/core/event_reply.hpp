#pragma once

#include "core/event_payload.hpp"
#include "core/protocol.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// The status of a message that committed `accepted` events and dead-lettered `rejected`.
reply_status status_for(uint64_t accepted, uint64_t rejected);

/// The reply's JSON object: {"status", "accepted", "rejected", "errors": [{"index","error"}]},
/// listing the first protocol::max_reply_errors rejections, and "reason" when `reason` is not
/// empty.
std::string render_reply(reply_status status, uint64_t accepted, uint64_t rejected,
                         const std::vector<event_rejection>& rejections = {},
                         std::string_view reason = {});

/// A reply as a producer reads it.
struct parsed_reply {
  reply_status status = reply_status::retry;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::vector<event_rejection> errors; ///< `raw` stays empty
  std::string reason;                  ///< e.g. protocol::id_reused_reason; empty when absent
};

/// Reads a reply body; nullopt when it is not a reply of docs/protocol.md.
std::optional<parsed_reply> parse_reply(std::string_view body);

} // namespace scpipe
