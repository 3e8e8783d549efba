#pragma once

#include "actors/actors.hpp"
#include "core/config.hpp"
#include "core/known_users.hpp"
#include "db/connection.hpp"
#include "db/query_interrupt.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>

namespace scpipe {

/// The scheduler's state: its configuration and its database connection (kept between runs,
/// dropped when it breaks and opened again at the next tick).
struct etl_scheduler_state {
  static inline const char* name = "etl_scheduler";

  database_config database;
  etl_config etl;
  std::unique_ptr<db::connection> conn;
  std::shared_ptr<db::query_interrupt> interrupt;
  /// The dimension's user ids, loaded after the first run and after each that inserted users.
  std::shared_ptr<known_users> known;
};

/// Runs the user ETL (db::run_user_etl, the same code as `scpipe etl`) now and then every
/// etl.interval_s. A database outage or a failing run is logged and retried at the next tick;
/// anything else escapes, fails the actor, and the supervisor restarts it. Spawn detached.
/// After a run that inserted users (and after the first), it refreshes `known` (if not null).
etl_scheduler_actor::behavior_type
etl_scheduler(etl_scheduler_actor::stateful_pointer<etl_scheduler_state> self,
              database_config database, etl_config etl,
              std::shared_ptr<db::query_interrupt> interrupt,
              std::shared_ptr<known_users> known = {});

/// The scheduler as a supervisor child: spawned detached, its running query cancelled when it
/// is asked to stop.
child_spec etl_scheduler_spec(const config& cfg, std::shared_ptr<known_users> known = {});

} // namespace scpipe
