#pragma once

// The live feed (broker.publish_endpoint, docs/protocol.md "The live feed"): what a committed
// batch's written events look like to a subscriber.

#include "core/event_batch.hpp"
#include "core/event_payload.hpp"

#include <string>
#include <vector>

namespace scpipe {

/// Appends one NDJSON line per event of `m` that was written: every row of its payload not
/// among `refused` (all of the message's rejections, by payload index: the validator's and the
/// database's). Each line is the stored event with its producer's message id (hex) and index:
/// {"message_id","index","user_id","platform","event_ts","event_type","first_event"}.
void append_feed_events(std::string& out, const batch_message& m,
                        const std::vector<event_rejection>& refused);

} // namespace scpipe
