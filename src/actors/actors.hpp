#pragma once

// Every actor interface of scpipe. Message payloads live in messages.hpp.

#include "actors/messages.hpp"

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>

namespace scpipe {

/// The SUPERVISOR actor interface.
using supervisor_actor = caf::typed_actor<
    /// Stops every child in reverse start order, each given up to supervisor.stop_timeout_s to
    /// drain, then quits. Also what SIGINT/SIGTERM turn into.
    caf::reacts_to<stop_atom>,
    /// Internal: the backoff of the named failed child is over; start it again.
    caf::reacts_to<restart_atom, std::string>,
    /// Internal: the child stopped as step `step` of the shutdown did not stop in time; kill it.
    caf::reacts_to<stop_timeout_atom, uint64_t>>;

/// The ETL SCHEDULER actor interface. Runs detached: the ETL blocks on the database.
using etl_scheduler_actor = caf::typed_actor<
    /// Runs the user ETL once (logging a summary line) and schedules the next tick
    /// etl.interval_s after this one's start; runs therefore never overlap.
    caf::reacts_to<caf::tick_atom>>;

} // namespace scpipe
