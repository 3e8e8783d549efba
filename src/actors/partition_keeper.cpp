#include "actors/partition_keeper.hpp"

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "db/event_partitions.hpp"

#include <pqxx/except>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include <chrono>

namespace scpipe {

namespace {

constexpr const char* component = "partition_keeper";
constexpr auto every = std::chrono::hours{1};
constexpr auto after_failure = std::chrono::minutes{1};

using self_pointer = partition_keeper_actor::stateful_pointer<partition_keeper_state>;

metrics::counter& partitions_made() {
  static auto& c = metrics::global().get_counter("scpipe_event_partitions_made_total",
                                                 "Partitions of sc.sc_user_event made ahead.");
  return c;
}

metrics::counter& partitions_dropped() {
  static auto& c = metrics::global().get_counter(
      "scpipe_event_partitions_dropped_total",
      "Partitions of sc.sc_user_event dropped past events.retention.");
  return c;
}

metrics::counter& ledger_partitions_dropped() {
  static auto& c =
      metrics::global().get_counter("scpipe_ledger_partitions_dropped_total",
                                    "Generations (partitions) of scpipe.event_ledger dropped past "
                                    "broker.dedup_retention_days.");
  return c;
}

/// One round; true when it did all it had to. Database problems are logged, not thrown.
bool keep_once(self_pointer self) {
  auto& st = self->state;
  try {
    if (!st.conn)
      st.conn = std::make_unique<db::connection>(st.database, "scpipe partition_keeper");
    if (!st.interrupt->running_on(&st.conn->get()))
      return true; // stopping
    db::query_interrupt::scope guard{*st.interrupt};
    for (const auto& name : db::make_event_partitions(st.conn->get(), st.events.partition_interval,
                                                      st.events.partitions_ahead)) {
      partitions_made().inc();
      log::info(component, "event partition made",
                {{"partition", name}, {"interval", st.events.partition_interval}});
    }
    if (!st.events.retention.empty())
      for (const auto& name : db::drop_event_partitions(st.conn->get(), st.events.retention)) {
        partitions_dropped().inc();
        log::info(component, "event partition dropped: its events are older than events.retention",
                  {{"partition", name}, {"retention", st.events.retention}});
      }
    db::roll_ledger_day(st.conn->get(), st.ledger_retention_days);
    for (const auto& name : db::drop_ledger_partitions(st.conn->get(), st.ledger_retention_days)) {
      ledger_partitions_dropped().inc();
      log::info(component,
                "ledger partition dropped: its ids are older than broker.dedup_retention_days",
                {{"partition", name}, {"retention_days", st.ledger_retention_days}});
    }
    return true;
  } catch (const db::connect_error& e) {
    log::warn(component, "database unreachable; trying again in a minute", {{"error", e.what()}});
  } catch (const pqxx::broken_connection& e) {
    st.conn.reset();
    log::warn(component, "database connection lost; trying again in a minute",
              {{"error", db::one_line(e.what())}});
  } catch (const pqxx::sql_error& e) {
    if (st.interrupt->stopped())
      return true;
    log::error(
        component,
        "partition upkeep failed (the failing step changed nothing); trying again in a minute",
        {{"error", db::error_text(e)}, {"sqlstate", db::sqlstate_of(e)}});
  } catch (const pqxx::failure& e) {
    st.conn.reset();
    log::error(component, "partition upkeep failed; trying again in a minute",
               {{"error", db::one_line(e.what())}});
  }
  return false;
}

} // namespace

partition_keeper_actor::behavior_type
partition_keeper(self_pointer self, database_config database, events_config events,
                 int64_t ledger_retention_days, std::shared_ptr<db::query_interrupt> interrupt) {
  self->state.database = std::move(database);
  self->state.events = std::move(events);
  self->state.ledger_retention_days = ledger_retention_days;
  self->state.interrupt = std::move(interrupt);
  // On /metrics from the start, at 0.
  partitions_made();
  partitions_dropped();
  ledger_partitions_dropped();
  self->send(self, caf::tick_atom_v);
  return {
      [=](caf::tick_atom) {
        auto next = keep_once(self) ? std::chrono::steady_clock::duration{every}
                                    : std::chrono::steady_clock::duration{after_failure};
        self->delayed_send(self, next, caf::tick_atom_v);
      },
  };
}

child_spec partition_keeper_spec(const config& cfg) {
  auto interrupt = std::make_shared<db::query_interrupt>();
  return {"partition_keeper",
          [db = cfg.database, events = cfg.events, days = cfg.broker.dedup_retention_days,
           interrupt](caf::actor_system& sys) {
            return caf::actor_cast<caf::actor>(
                sys.spawn<caf::detached>(partition_keeper, db, events, days, interrupt));
          },
          [interrupt] { interrupt->stop(); }};
}

} // namespace scpipe
