#pragma once

#include "actors/actors.hpp"
#include "core/config.hpp"
#include "db/connection.hpp"
#include "db/query_interrupt.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>

namespace scpipe {

/// The keeper's state: its configuration and its database connection (kept between ticks,
/// dropped when it breaks and opened again at the next).
struct partition_keeper_state {
  static inline const char* name = "partition_keeper";

  database_config database;
  events_config events;
  int64_t ledger_retention_days = 0; ///< broker.dedup_retention_days
  std::unique_ptr<db::connection> conn;
  std::shared_ptr<db::query_interrupt> interrupt;
};

/// Keeps the partitions by time, at start and every hour: sc.sc_user_event's (sql/0009) the
/// current one and events.partitions_ahead more where missing, then, with events.retention set,
/// drops those entirely older; the id ledger's (sql/0010) begins a new generation every
/// `ledger_retention_days` and drops the generations past it. Each partition made or dropped is
/// logged and counted. A database problem (a lock timeout among them) is logged and tried again a
/// minute later. Spawn detached: DDL blocks on the database.
partition_keeper_actor::behavior_type
partition_keeper(partition_keeper_actor::stateful_pointer<partition_keeper_state> self,
                 database_config database, events_config events, int64_t ledger_retention_days,
                 std::shared_ptr<db::query_interrupt> interrupt);

/// The keeper as a supervisor child: spawned detached, its running statement cancelled when it
/// is asked to stop.
child_spec partition_keeper_spec(const config& cfg);

} // namespace scpipe
