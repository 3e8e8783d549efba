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

/// The PARTITION KEEPER actor interface. Runs detached: partition DDL blocks on the database.
using partition_keeper_actor = caf::typed_actor<
    /// Makes the missing partitions ahead, drops those past events.retention, rolls the id
    /// ledger's day and drops its days past broker.dedup_retention_days; schedules the next
    /// tick (an hour later; a minute after a failure).
    caf::reacts_to<caf::tick_atom>>;

/// The ANALYTICS KEEPER actor interface. Runs detached: counting blocks on the database.
using analytics_keeper_actor = caf::typed_actor<
    /// Counts the events committed since the last count into the first-week answer's kept
    /// counts and schedules the next tick analytics.interval_s after this one's start.
    caf::reacts_to<caf::tick_atom>>;

/// The DB WRITER actor interface. One per database.pool_size connection; runs detached: COPY
/// and commit block on the database.
using db_writer_actor = caf::typed_actor<
    /// Writes the batch in one transaction and answers with one reply per message, once
    /// committed. Connection and transient errors are retried with backoff for up to
    /// database.write_deadline_ms; past it the messages are answered `retry`.
    caf::replies_to<shared_batch>::with<reply_batch>,
    /// Deletes session-ledger rows older than broker.dedup_retention_days (the id ledger is
    /// dropped by generations, by the partition keeper).
    caf::reacts_to<prune_atom>,
    /// While idle: one trivial query (connecting first if need be), so /readyz follows the
    /// database without traffic.
    caf::reacts_to<probe_atom>,
    /// Internal: the backoff before retrying the held batch is over (without a batch: connect
    /// now; sent once at start).
    caf::reacts_to<retry_atom>>;

/// The EVENT BATCHER actor interface.
using event_batcher_actor = caf::typed_actor<
    /// Requests read from the socket in one poll round: each decoded, validated and added to
    /// the open batch.
    caf::reacts_to<raw_messages>,
    /// A (re)started writer joins the pool.
    caf::reacts_to<writer_up_atom, db_writer_actor>,
    /// Internal: the open batch may have lingered long enough; hand it to a free writer.
    caf::reacts_to<linger_atom>,
    /// Internal: time to have a writer prune the ledger.
    caf::reacts_to<prune_atom>,
    /// Internal: time to have an idle writer check the database, unless a batch was written
    /// within the last interval (that write was the check).
    caf::reacts_to<probe_atom>>;

/// The BROKER LISTENER actor interface. Runs detached; a poll thread it owns reads the
/// ROUTER socket, and replies reach that thread through a queue it is woken for.
using broker_listener_actor = caf::typed_actor<
    /// Sends replies to the producers of committed (or given-up) messages.
    caf::reacts_to<reply_batch>,
    /// Internal: after a stop, every message read has been answered; quit.
    caf::reacts_to<drained_atom>>;

/// The HTTP SERVER actor interface. Runs detached; a thread it owns answers GET /metrics
/// (metrics::global() in Prometheus text format), /healthz and /readyz (service_health).
using http_server_actor = caf::typed_actor<
    /// The reasons /readyz would give now (empty: ready).
    caf::replies_to<caf::get_atom>::with<std::string>>;

} // namespace scpipe
