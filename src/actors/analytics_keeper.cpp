#include "actors/analytics_keeper.hpp"

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "db/first_week.hpp"

#include <pqxx/except>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include <chrono>

namespace scpipe {

namespace {

constexpr const char* component = "analytics_keeper";

using self_pointer = analytics_keeper_actor::stateful_pointer<analytics_keeper_state>;

metrics::counter& counts_done() {
  static auto& c = metrics::global().get_counter(
      "scpipe_first_week_counts_total",
      "Counts of new events into the first-week answer's kept counts done by this instance.");
  return c;
}

metrics::counter& counts_skipped() {
  static auto& c = metrics::global().get_counter(
      "scpipe_first_week_counts_skipped_total",
      "Ticks skipped because another session (an instance, the ETL) was counting.");
  return c;
}

metrics::gauge& counted_through() {
  static auto& g = metrics::global().get_gauge(
      "scpipe_first_week_counted_through",
      "The kept counts' watermark after this instance's last count: every event id up to it.");
  return g;
}

/// One count; database problems are logged, not thrown.
void count_once(self_pointer self) {
  auto& st = self->state;
  try {
    if (!st.conn)
      st.conn = std::make_unique<db::connection>(st.database, "scpipe analytics_keeper");
    if (!st.interrupt->running_on(&st.conn->get()))
      return; // stopping
    db::query_interrupt::scope guard{*st.interrupt};
    auto started = std::chrono::steady_clock::now();
    auto done = db::count_first_week_logins(st.conn->get());
    if (!done) {
      counts_skipped().inc();
      log::debug(component, "first-week count skipped: another session is counting");
      return;
    }
    counts_done().inc();
    counted_through().set(done->counted_through);
    log::debug(component, "first-week counts brought up to date",
               {{"users", done->users},
                {"counted_through", done->counted_through},
                {"counted_at", done->counted_at},
                {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count()}});
  } catch (const db::connect_error& e) {
    log::warn(component, "database unreachable; trying at the next tick", {{"error", e.what()}});
  } catch (const pqxx::broken_connection& e) {
    st.conn.reset();
    log::warn(component, "database connection lost; trying at the next tick",
              {{"error", db::one_line(e.what())}});
  } catch (const pqxx::sql_error& e) {
    if (st.interrupt->stopped())
      return;
    log::warn(component,
              "first-week count failed (nothing changed; the view stays whole, only slower); "
              "trying at the next tick",
              {{"error", db::error_text(e)}, {"sqlstate", db::sqlstate_of(e)}});
  } catch (const pqxx::failure& e) {
    st.conn.reset();
    log::error(component, "first-week count failed; trying at the next tick",
               {{"error", db::one_line(e.what())}});
  }
}

} // namespace

analytics_keeper_actor::behavior_type
analytics_keeper(self_pointer self, database_config database, analytics_config analytics,
                 std::shared_ptr<db::query_interrupt> interrupt) {
  self->state.database = std::move(database);
  self->state.analytics = analytics;
  self->state.interrupt = std::move(interrupt);
  // On /metrics from the start, at 0.
  counts_done();
  counts_skipped();
  counted_through();
  self->send(self, caf::tick_atom_v);
  return {
      [=](caf::tick_atom) {
        auto started = std::chrono::steady_clock::now();
        count_once(self);
        auto next = started + std::chrono::seconds{self->state.analytics.interval_s};
        auto wait = std::max(std::chrono::steady_clock::duration::zero(),
                             next - std::chrono::steady_clock::now());
        self->delayed_send(self, wait, caf::tick_atom_v);
      },
  };
}

std::optional<child_spec> analytics_keeper_spec(const config& cfg) {
  if (cfg.analytics.interval_s == 0)
    return std::nullopt;
  auto interrupt = std::make_shared<db::query_interrupt>();
  return child_spec{
      "analytics_keeper",
      [db = cfg.database, analytics = cfg.analytics, interrupt](caf::actor_system& sys) {
        return caf::actor_cast<caf::actor>(
            sys.spawn<caf::detached>(analytics_keeper, db, analytics, interrupt));
      },
      [interrupt] { interrupt->stop(); }};
}

} // namespace scpipe
