#include "actors/etl_scheduler.hpp"

#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/user_etl.hpp"

#include <pqxx/except>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include <chrono>

namespace scpipe {

namespace {

constexpr const char* component = "etl_scheduler";

using self_pointer = etl_scheduler_actor::stateful_pointer<etl_scheduler_state>;

/// Gives the writers the current users' ids, to count events of users the dimension lacks. A
/// failure only stops that count until the next run that inserts users.
void load_known_users(etl_scheduler_state& st) {
  try {
    auto ids = std::make_shared<const user_id_set>(db::current_user_ids(st.conn->get()));
    st.known->replace(ids);
    log::debug(component, "current user ids loaded", {{"users", ids->size()}});
  } catch (const pqxx::failure& e) {
    log::warn(component,
              "could not read the current user ids; events of unknown users are not counted "
              "until a later run",
              {{"error", db::one_line(e.what())}});
  }
}

/// One run; database problems are logged, not thrown.
void run_once(self_pointer self) {
  auto& st = self->state;
  try {
    if (!st.conn)
      st.conn = std::make_unique<db::connection>(st.database, "scpipe etl_scheduler");
    if (!st.interrupt->running_on(&st.conn->get()))
      return; // stopping: no new run
    db::query_interrupt::scope guard{*st.interrupt};
    log::debug(component, "user etl run starting", {{"timezone", st.etl.timezone}});
    auto run = db::try_run_user_etl(st.conn->get(), st.etl.timezone);
    if (!run) {
      log::info(component, "user etl tick skipped: another run (another instance, or scpipe etl) "
                           "holds the lock");
      return;
    }
    const auto& s = *run;
    log::info(component, "user etl run",
              {{"run_id", s.run_id},
               {"inserted", s.inserted},
               {"changed", s.changed},
               {"unchanged", s.unchanged},
               {"rejected", s.rejected},
               {"duration_ms", static_cast<int64_t>(s.duration_ms)}});
    if (st.known && (!st.known->current() || s.inserted > 0))
      load_known_users(st);
  } catch (const db::connect_error& e) {
    log::warn(component, "database unreachable; retrying at the next tick", {{"error", e.what()}});
  } catch (const pqxx::broken_connection& e) {
    st.conn.reset();
    log::warn(component, "database connection lost; retrying at the next tick",
              {{"error", db::one_line(e.what())}});
  } catch (const pqxx::in_doubt_error& e) {
    // The commit's fate is unknown; the next run's watermarks tell (the run is all or nothing).
    st.conn.reset();
    log::error(component, "connection lost during commit; the next run reconciles",
               {{"error", db::one_line(e.what())}});
  } catch (const pqxx::sql_error& e) {
    if (st.interrupt->stopped()) {
      log::info(component, "user etl run cancelled for shutdown; it rolled back as a whole");
      return;
    }
    log::error(component, "user etl failed; nothing was changed, retrying at the next tick",
               {{"error", db::error_text(e)}, {"sqlstate", db::sqlstate_of(e)}});
  } catch (const pqxx::failure& e) {
    st.conn.reset();
    log::error(component, "user etl failed; retrying at the next tick",
               {{"error", db::one_line(e.what())}});
  }
}

} // namespace

etl_scheduler_actor::behavior_type etl_scheduler(self_pointer self, database_config database,
                                                 etl_config etl,
                                                 std::shared_ptr<db::query_interrupt> interrupt,
                                                 std::shared_ptr<known_users> known) {
  self->state.database = std::move(database);
  self->state.etl = std::move(etl);
  self->state.interrupt = std::move(interrupt);
  self->state.known = std::move(known);
  self->send(self, caf::tick_atom_v);
  return {
      [=](caf::tick_atom) {
        auto started = std::chrono::steady_clock::now();
        run_once(self);
        auto next = started + std::chrono::seconds{self->state.etl.interval_s};
        auto wait = std::max(std::chrono::steady_clock::duration::zero(),
                             next - std::chrono::steady_clock::now());
        self->delayed_send(self, wait, caf::tick_atom_v);
      },
  };
}

child_spec etl_scheduler_spec(const config& cfg, std::shared_ptr<known_users> known) {
  auto interrupt = std::make_shared<db::query_interrupt>();
  return {"etl_scheduler",
          [db = cfg.database, etl = cfg.etl, interrupt, known](caf::actor_system& sys) {
            return caf::actor_cast<caf::actor>(
                sys.spawn<caf::detached>(etl_scheduler, db, etl, interrupt, known));
          },
          [interrupt] { interrupt->stop(); }};
}

} // namespace scpipe
