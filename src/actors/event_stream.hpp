#pragma once

#include "actors/actors.hpp"
#include "actors/stream_links.hpp"
#include "core/config.hpp"
#include "core/curve_keys.hpp"
#include "core/known_users.hpp"

#include <memory>
#include <vector>

namespace scpipe {

/// The event stream's children in start order: the writers, the batcher, the listener. They
/// stop in reverse: the listener stops reading and waits for its messages to be answered,
/// then the batcher, then the writers. `curve` (loaded by load_curve_server_keys) turns CURVE
/// on at the broker socket; null: off. `known` (kept by the ETL scheduler) lets the writers
/// count events of users the dimension lacks; null: not counted.
std::vector<child_spec> event_stream_specs(const config& cfg,
                                           std::shared_ptr<const curve_server_keys> curve = {},
                                           std::shared_ptr<const known_users> known = {});

} // namespace scpipe
