#pragma once

#include "actors/actors.hpp"
#include "core/config.hpp"
#include "db/connection.hpp"
#include "db/query_interrupt.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <optional>

namespace scpipe {

/// The keeper's state: its configuration and its database connection (kept between ticks,
/// dropped when it breaks and opened again at the next).
struct analytics_keeper_state {
  static inline const char* name = "analytics_keeper";

  database_config database;
  analytics_config analytics;
  std::unique_ptr<db::connection> conn;
  std::shared_ptr<db::query_interrupt> interrupt;
};

/// Keeps sc.first_week_logins fast (sql/0012): at start and every analytics.interval_s, counts
/// the events committed since the last count into scpipe.first_week_login. The view's answer is
/// whole without it; counting keeps the part the view counts itself small. A tick another
/// session is counting at is skipped; a database problem is logged and tried at the next tick.
/// Spawn detached: counting blocks on the database.
analytics_keeper_actor::behavior_type
analytics_keeper(analytics_keeper_actor::stateful_pointer<analytics_keeper_state> self,
                 database_config database, analytics_config analytics,
                 std::shared_ptr<db::query_interrupt> interrupt);

/// The keeper as a supervisor child (none when analytics.interval_s is 0): spawned detached,
/// its running statement cancelled when it is asked to stop.
std::optional<child_spec> analytics_keeper_spec(const config& cfg);

} // namespace scpipe
