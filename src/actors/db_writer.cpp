#include "actors/db_writer.hpp"

#include "actors/stream_metrics.hpp"
#include "core/event_feed.hpp"
#include "core/event_reply.hpp"
#include "core/health.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "core/sqlstate.hpp"
#include "db/connection.hpp"
#include "db/event_writer.hpp"
#include "db/migrator.hpp"
#include "db/query_interrupt.hpp"

#include <pqxx/except>

#include <caf/exit_reason.hpp>

namespace scpipe {

namespace {

constexpr const char* component = "db_writer";

using self_pointer = db_writer_actor::stateful_pointer<db_writer_state>;
using clock = std::chrono::steady_clock;

/// A database that is not migrated (or migrated by a newer scpipe) would fail every batch: says
/// so at once, and on /readyz, rather than only in the writers' retries. Reads on st.conn.
void check_schema(db_writer_state& st) {
  st.schema_mismatch = db::schema_mismatch(st.conn->get(), db::embedded_migrations());
  if (service_health::global().schema_state(st.schema_mismatch)) {
    if (st.schema_mismatch.empty())
      log::info(component, "database schema is up to date", {{"writer", st.index}});
    else
      log::error(component, st.schema_mismatch, {{"writer", st.index}});
  }
}

/// Opens and configures the writer's connection unless it has one. Throws db::connect_error,
/// or what configuring it threw (then it has none).
void ensure_connection(db_writer_state& st) {
  if (st.conn)
    return;
  std::unique_ptr<db::connection> conn;
  try {
    conn = std::make_unique<db::connection>(st.settings.database,
                                            "scpipe db_writer " + std::to_string(st.index));
  } catch (const db::connect_error& e) {
    service_health::global().database_unreachable(e.what());
    throw;
  }
  service_health::global().database_reachable();
  db::configure_writer_session(conn->get(), {st.settings.timezone, st.settings.write_deadline});
  st.conn = std::move(conn);
  check_schema(st);
}

/// After a batch is done: the next waiting one, if any, is attempted from the mailbox.
void next_batch(self_pointer self) {
  if (!self->state.waiting.empty())
    self->send(self, retry_atom::value);
}

/// Every message of `b` answered `retry`, saying why.
reply_batch retry_replies(const event_batch& b, const std::string& why) {
  reply_batch out;
  auto body = render_reply(reply_status::retry, 0, 0, {{-1, why, {}}});
  for (const auto& m : b.messages)
    out.replies.push_back({m.seq, body});
  return out;
}

void give_up(self_pointer self, const std::string& why) {
  auto& held = *self->state.held;
  log::warn(component, "batch not committed in time; answering retry",
            {{"writer", self->state.index},
             {"messages", held.batch.batch->messages.size()},
             {"error", why}});
  const auto& m = stream_metrics::get();
  m.batches_given_up.inc();
  m.replies(reply_status::retry).inc(held.batch.batch->messages.size());
  held.promise.deliver(retry_replies(*held.batch.batch, why));
  self->state.held.reset();
  next_batch(self);
}

/// One attempt at the held batch; on failure decides between another attempt and `retry`.
void attempt(self_pointer self) {
  auto& st = self->state;
  auto& held = *st.held;
  const auto& batch = *held.batch.batch;
  std::string error;
  try {
    ensure_connection(st);
    if (!st.interrupt->running_on(&st.conn->get())) {
      give_up(self, "the service is stopping");
      return;
    }
    db::query_interrupt::scope running{*st.interrupt};
    auto started = clock::now();
    auto outcomes = db::write_event_batch(st.conn->get(), batch, held.maybe_committed);
    const auto& m = stream_metrics::get();
    m.commit_seconds.observe(std::chrono::duration<double>(clock::now() - started).count());
    m.batches_committed.inc();
    m.batch_rows.observe(static_cast<double>(batch.rows));
    auto known = st.settings.known ? st.settings.known->current() : nullptr;
    reply_batch out;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      auto& o = outcomes[i];
      m.replies(o.status).inc();
      if (o.id_reused) {
        m.ids_reused.inc(); // nothing written: no events to count
        log::warn(component, "message id reused with a different payload: refused",
                  {{"writer", st.index}, {"message_id", readable_bytes(batch.messages[i].id)}});
      } else if (o.status != reply_status::duplicate) {
        m.events_accepted.inc(o.accepted);
        m.events_rejected.inc(o.rejected);
        if (known)
          m.events_unknown_user.inc(known->count_unknown(batch.messages[i].content.rows));
      }
      out.replies.push_back({o.seq, render_reply(o.status, o.accepted, o.rejected, o.errors,
                                                 o.id_reused ? protocol::id_reused_reason : "")});
      // The feed publishes what this transaction wrote: nothing after a commit of unknown
      // outcome (the events may be an earlier attempt's, published or not: at most once).
      if (st.settings.feed && !held.maybe_committed && o.accepted > 0
          && (o.status == reply_status::ok || o.status == reply_status::partial)) {
        append_feed_events(out.feed, batch.messages[i], o.errors);
        out.feed_events += o.accepted;
      }
    }
    if (log::enabled(log::level::debug))
      log::debug(component, "batch committed",
                 {{"writer", st.index},
                  {"messages", batch.messages.size()},
                  {"rows", batch.rows},
                  {"seconds", std::chrono::duration<double>(clock::now() - started).count()}});
    if (st.failing_since)
      log::info(component, "database writable again", {{"writer", st.index}});
    st.failing_since.reset();
    held.promise.deliver(std::move(out));
    st.held.reset();
    next_batch(self);
    return;
  } catch (const db::connect_error& e) {
    error = e.what();
  } catch (const pqxx::in_doubt_error& e) {
    // The COMMIT may or may not have happened: the ledger tells on the next attempt.
    held.maybe_committed = true;
    st.conn.reset();
    error = "connection lost during commit: " + db::one_line(e.what());
  } catch (const pqxx::broken_connection& e) {
    st.conn.reset();
    error = "connection lost: " + db::one_line(e.what());
    service_health::global().database_unreachable(error);
  } catch (const pqxx::sql_error& e) {
    auto sqlstate = db::sqlstate_of(e);
    if (classify_sqlstate(sqlstate) == failure_action::reconnect)
      st.conn.reset();
    error = db::error_text(e);
    if (!db::migration_hint(sqlstate).empty())
      st.conn.reset(); // the next attempt checks the schema again (migrated meanwhile?)
  } catch (const std::exception& e) {
    st.conn.reset();
    error = db::one_line(e.what());
  }
  auto now = clock::now();
  if (!held.failed) {
    held.failed = true;
    held.first_failure = st.failing_since.value_or(now);
    held.backoff = st.settings.backoff_initial;
  }
  if (!st.failing_since) {
    st.failing_since = now;
    log::warn(component, "writing a batch failed; retrying with backoff",
              {{"writer", st.index}, {"error", error}});
  }
  held.last_error = error;
  if (now - held.first_failure >= st.settings.write_deadline) {
    give_up(self, held.maybe_committed
                      ? "the connection was lost during COMMIT and the database is unavailable: "
                        "resend (if it did commit, the resend is answered duplicate); "
                            + error
                      : "database unavailable: " + error);
    return;
  }
  stream_metrics::get().write_retries.inc();
  log::debug(
      component, "batch attempt failed; trying again after a backoff",
      {{"writer", st.index},
       {"backoff_ms", std::chrono::duration_cast<std::chrono::milliseconds>(held.backoff).count()},
       {"error", error}});
  self->delayed_send(self, held.backoff, retry_atom::value);
  held.backoff = std::min(held.backoff * 2, st.settings.backoff_max);
}

} // namespace

db_writer_state::db_writer_state() = default;
db_writer_state::~db_writer_state() = default;

writer_settings writer_settings_of(const config& cfg) {
  writer_settings out;
  out.database = cfg.database;
  out.timezone = cfg.etl.timezone;
  out.write_deadline = std::chrono::milliseconds{cfg.database.write_deadline_ms};
  out.dedup_retention_days = cfg.broker.dedup_retention_days;
  out.feed = !cfg.broker.publish_endpoint.empty();
  return out;
}

db_writer_actor::behavior_type db_writer(self_pointer self, writer_settings settings, size_t index,
                                         std::shared_ptr<db::query_interrupt> interrupt) {
  self->state.settings = std::move(settings);
  self->state.index = index;
  self->state.interrupt = std::move(interrupt);
  self->send(self, retry_atom::value); // connect before the first batch arrives
  self->set_exit_handler([=](caf::exit_msg& msg) {
    // Stopped after the listener has drained: batches still held are answered retry.
    auto& st = self->state;
    if (st.held)
      give_up(self, "the service is stopping");
    for (auto& w : st.waiting)
      w.promise.deliver(retry_replies(*w.batch.batch, "the service is stopping"));
    st.waiting.clear();
    self->quit(msg.reason);
  });
  return {
      [=](shared_batch& b) -> caf::result<reply_batch> {
        auto& st = self->state;
        auto promise = self->make_response_promise<reply_batch>();
        db_writer_state::held_batch next;
        next.batch = std::move(b);
        next.promise = promise;
        if (st.held) {
          st.waiting.push_back(std::move(next));
          return promise;
        }
        st.held = std::move(next);
        attempt(self);
        return promise;
      },
      [=](retry_atom) {
        auto& st = self->state;
        if (!st.held && !st.waiting.empty()) {
          st.held = std::move(st.waiting.front());
          st.waiting.pop_front();
        }
        if (st.held) {
          attempt(self);
          return;
        }
        // Idle. At start: connect now, so the first batch does not wait for it. While the
        // database lacks this binary's migrations: look again every few seconds, so that
        // /readyz turns ready once someone runs scpipe migrate. The look reads on the session
        // there is (a new one each time would make a batch arriving meanwhile wait for its
        // setup); once the schema matches, the writer starts afresh on a new session.
        if (st.conn && st.schema_mismatch.empty())
          return;
        try {
          if (st.conn)
            check_schema(st);
          if (!st.conn || st.schema_mismatch.empty()) {
            st.conn.reset();
            ensure_connection(st);
          }
        } catch (const std::exception& e) {
          st.conn.reset(); // the next batch, readiness check or look connects again
          auto error = db::one_line(e.what());
          if (st.schema_mismatch.empty()) {
            log::warn(component, "database unreachable; connecting with the next batch",
                      {{"writer", st.index}, {"error", error}});
            return;
          }
          // A look failed: still short of a migration as far as it knows, it keeps looking, so
          // that /readyz follows a migration made after the database came back. Quietly:
          // /readyz and the readiness check's log say the database is unreachable.
          log::debug(component, "looking for the missing migration failed",
                     {{"writer", st.index}, {"error", error}});
        }
        if (!st.schema_mismatch.empty())
          self->delayed_send(self, std::chrono::seconds{2}, retry_atom::value);
      },
      [=](probe_atom) {
        auto& st = self->state;
        if (st.held)
          return; // its attempts say how the database is
        try {
          ensure_connection(st);
          if (!st.interrupt->running_on(&st.conn->get()))
            return; // stopping: a hung check must not hold the shutdown up
          db::query_interrupt::scope running{*st.interrupt};
          db::ping(st.conn->get());
          service_health::global().database_reachable();
        } catch (const std::exception& e) {
          st.conn.reset();
          auto error = db::one_line(e.what());
          service_health::global().database_unreachable(error);
          log::debug(component, "database check failed", {{"writer", st.index}, {"error", error}});
        }
      },
      [=](prune_atom) {
        auto& st = self->state;
        if (st.held)
          return; // busy: the next prune will do
        try {
          ensure_connection(st);
          auto n = db::prune_session_ledger(st.conn->get(), st.settings.dedup_retention_days);
          log::info(component, "pruned the session ledger",
                    {{"deleted", n}, {"retention_days", st.settings.dedup_retention_days}});
        } catch (const std::exception& e) {
          st.conn.reset();
          log::warn(component, "pruning the session ledger failed",
                    {{"error", db::one_line(e.what())}});
        }
      },
  };
}

} // namespace scpipe
