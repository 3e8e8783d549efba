// Faults injected into a running event stream (issue 6): PostgreSQL restarted under the
// service, a batch the database refuses for lack of disk, a writer that crashes holding a
// batch, a producer that vanishes with requests in flight. Each test prints what it sent,
// what was committed and dead-lettered, and what was lost (always 0).
//
// Faults covered elsewhere: kill -9 of the service, connections terminated every 150 ms,
// SIGTERM mid-stream, a locked table (statement timeout, 57014), overload
// (event_stream_test.cpp).

#include "actors/error.hpp"
#include "actors/event_stream.hpp"
#include "actors/stream_metrics.hpp"
#include "actors/supervisor.hpp"
#include "core/metrics.hpp"
#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/private_server.hpp"
#include "support/process.hpp"
#include "support/producer.hpp"
#include "support/service.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <atomic>
#include <csignal>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace scpipe;
using namespace scpipe::test;

namespace {

using clock_type = std::chrono::steady_clock;

/// Tail of a log, for failure messages.
std::string tail(const std::string& text, size_t n = 4000) {
  return text.substr(text.size() > n ? text.size() - n : 0);
}

int64_t count_on(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn{conninfo};
  pqxx::nontransaction tx{conn};
  return tx.exec1(sql)[0].as<int64_t>();
}

/// Creates database `scpipe` on `server` and runs `scpipe migrate` on it; its conninfo.
std::string migrated_database_on(const private_server& server) {
  {
    pqxx::connection admin{server.conninfo("postgres")};
    pqxx::nontransaction{admin}.exec0("create database scpipe");
  }
  auto url = server.conninfo("scpipe");
  auto migrated = run({SCPIPE_BINARY, "migrate"}, {{"SCPIPE_DATABASE_URL", url}});
  if (migrated.code != 0)
    throw std::runtime_error{"scpipe migrate failed: " + migrated.out + migrated.err};
  return url;
}

/// Figures every test reports, on stdout and as test properties.
void report(const std::map<std::string, int64_t>& figures) {
  std::cout << "[ figures  ]";
  for (const auto& [k, v] : figures) {
    std::cout << ' ' << k << '=' << v;
    ::testing::Test::RecordProperty(k, std::to_string(v));
  }
  std::cout << std::endl;
}

} // namespace

// -- PostgreSQL restarted under the service ---------------------------------------------------

TEST(faults, postgres_restarted_mid_stream_loses_and_doubles_nothing_and_intake_resumes_in_5_s) {
  if (auto why = private_server::unavailable())
    GTEST_SKIP() << "this test restarts a PostgreSQL server of its own, and cannot start one "
                    "here: "
                 << *why;
  private_server server;
  const auto url = migrated_database_on(server);
  running_service s{{{"SCPIPE_DATABASE_URL", url}}};
  auto committed = [&] { return count_on(url, "select count(*) from scpipe.event_ledger"); };

  constexpr int n = 600, per = 200;
  auto messages = numbered_messages(n, per, "restart");
  std::mutex mutex;
  std::vector<clock_type::time_point> ok_at; // when each `ok` reply arrived
  producer::publish_stats st;
  std::atomic<bool> publishing{true};
  std::jthread publisher{[&] {
    producer p{s.endpoint};
    st = p.publish(messages, 16, 10s, 50s, [&](const producer::reply& r) {
      if (r.body.status == reply_status::ok) {
        std::lock_guard guard{mutex};
        ok_at.push_back(clock_type::now());
      }
    });
    publishing = false;
  }};
  // The first `ok` reply after `t`, or nothing within 20 s.
  auto first_ok_after = [&](clock_type::time_point t) -> std::optional<clock_type::duration> {
    std::optional<clock_type::duration> found;
    eventually(
        [&] {
          std::lock_guard guard{mutex};
          for (auto at : ok_at)
            if (at >= t && (!found || at - t < *found))
              found = at - t;
          return found.has_value() || !publishing;
        },
        20s);
    return found;
  };

  // Outage 1: `pg_ctl restart -m fast` (sessions terminated, down for well under a second).
  ASSERT_TRUE(eventually([&] { return committed() >= 60; }, 30s));
  auto before_restart = committed();
  server.restart();
  auto up_1 = clock_type::now();
  auto resumed_1 = first_ok_after(up_1);
  // Outage 2: the server down for 3 s (writers' backoff grows towards its 2 s ceiling).
  ASSERT_TRUE(eventually([&] { return committed() >= before_restart + 60; }, 30s));
  auto before_outage = committed();
  server.stop();
  std::this_thread::sleep_for(3s);
  server.start();
  auto up_2 = clock_type::now();
  auto resumed_2 = first_ok_after(up_2);
  publisher.join();

  auto ms = [](std::optional<clock_type::duration> d) -> int64_t {
    return d ? std::chrono::duration_cast<std::chrono::milliseconds>(*d).count() : -1;
  };
  auto events = count_on(url, "select count(*) from sc.sc_user_event");
  auto distinct = count_on(url, "select count(distinct user_id) from sc.sc_user_event");
  auto ledger = committed();
  auto dead = count_on(url, "select count(*) from scpipe.rejected_event");
  report({{"messages", n},
          {"sent", static_cast<int64_t>(n + st.resends)},
          {"resends", static_cast<int64_t>(st.resends)},
          {"retry_replies", static_cast<int64_t>(st.retry_replies)},
          {"writer_retries", static_cast<int64_t>(s.metric("scpipe_writer_retries_total"))},
          {"committed_messages", ledger},
          {"committed_events", events},
          {"dead_lettered", dead},
          {"lost_events", n * per - distinct},
          {"committed_before_restart", before_restart},
          {"committed_before_outage", before_outage},
          {"resume_after_restart_ms", ms(resumed_1)},
          {"resume_after_3s_outage_ms", ms(resumed_2)}});

  EXPECT_LT(before_outage, n) << "the stream ended before the second outage: test nothing";
  EXPECT_EQ(st.unanswered, 0u);
  EXPECT_EQ(st.ok + st.duplicate, static_cast<size_t>(n));
  EXPECT_EQ(ledger, n);
  EXPECT_EQ(events, n * per) << "no event doubled";
  EXPECT_EQ(distinct, n * per) << "no event lost";
  EXPECT_EQ(dead, 0);
  ASSERT_TRUE(resumed_1) << "no ok reply within 20 s of the restart";
  ASSERT_TRUE(resumed_2) << "no ok reply within 20 s of the server's return";
  EXPECT_LT(*resumed_1, 5s);
  EXPECT_LT(*resumed_2, 5s);
  // The same process (pid) all along, and no actor of it restarted: the writers reconnected.
  EXPECT_EQ(s.svc->wait(0ms), std::nullopt) << "exited: " << tail(s.svc->err());
  EXPECT_EQ(s.svc->err().find("restarting"), std::string::npos) << tail(s.svc->err());
  s.svc->signal(SIGTERM);
  EXPECT_EQ(s.svc->wait(30s), 0) << tail(s.svc->err());
}

// -- readiness while idle ---------------------------------------------------------------------

TEST(faults, readyz_follows_a_stopped_and_restarted_database_without_traffic) {
  if (auto why = private_server::unavailable())
    GTEST_SKIP() << "this test stops a PostgreSQL server of its own, and cannot start one here: "
                 << *why;
  private_server server;
  const auto url = migrated_database_on(server);
  running_service s{{{"SCPIPE_DATABASE_URL", url}}};
  // Idle all along: no producer connects, so only the service's own check can notice.
  auto ready = [&](int status) { return [&, status] { return s.readiness().status == status; }; };
  ASSERT_TRUE(ready(200)());
  std::this_thread::sleep_for(2s); // idle longer than a check interval, still ready
  ASSERT_TRUE(ready(200)());

  server.stop();
  auto stopped = clock_type::now();
  ASSERT_TRUE(eventually(ready(503), 5s)) << "still ready 5 s after the database stopped";
  auto down_after = clock_type::now() - stopped;
  EXPECT_NE(s.readiness().body.find("database unreachable"), std::string::npos)
      << s.readiness().body;
  std::this_thread::sleep_for(2s); // and it stays so while the database is down
  EXPECT_EQ(s.readiness().status, 503);

  server.start();
  auto started = clock_type::now();
  ASSERT_TRUE(eventually(ready(200), 5s))
      << "not ready 5 s after the database came back: " << s.readiness().body;
  auto up_after = clock_type::now() - started;
  auto ms = [](clock_type::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  report({{"not_ready_after_stop_ms", ms(down_after)}, {"ready_after_start_ms", ms(up_after)}});
  EXPECT_EQ(s.svc->wait(0ms), std::nullopt) << "exited: " << tail(s.svc->err());
}

TEST(faults, readyz_follows_a_migration_made_after_the_database_came_back_without_traffic) {
  if (auto why = private_server::unavailable())
    GTEST_SKIP() << "this test stops a PostgreSQL server of its own, and cannot start one here: "
                 << *why;
  private_server server;
  const auto url = migrated_database_on(server);
  { // one migration short, as before an upgrade's scpipe migrate
    pqxx::connection conn{url};
    hold_back_last_migration(conn);
  }
  running_service s{{{"SCPIPE_DATABASE_URL", url}}, /*until_ready=*/false};
  auto ready = [&](int status, std::string text = "") {
    return [&, status, text] {
      auto r = s.readiness();
      return r.status == status && r.body.find(text) != std::string::npos;
    };
  };
  ASSERT_TRUE(eventually(ready(503, "database not migrated"), 20s)) << s.readiness().body;
  // Down for longer than the writers' looks (every 2 s) while idle: their looks fail.
  server.stop();
  ASSERT_TRUE(eventually(ready(503, "database unreachable"), 5s)) << s.readiness().body;
  std::this_thread::sleep_for(3s);
  server.start();
  ASSERT_TRUE(eventually(ready(503, "database not migrated"), 5s)) << s.readiness().body;
  // The migration "applied" after the database came back: ready with no message sent.
  {
    pqxx::connection conn{url};
    put_back_held_migration(conn);
  }
  EXPECT_TRUE(eventually(ready(200), 10s))
      << "not ready 10 s after the migration: " << s.readiness().body;
  EXPECT_EQ(s.svc->wait(0ms), std::nullopt) << "exited: " << tail(s.svc->err());
}

// -- disk full --------------------------------------------------------------------------------

TEST(faults, disk_full_on_a_batch_is_answered_retry_with_nothing_half_written_then_commits_once) {
  test_database db;
  db.migrate();
  db.scalar("create function test_disk_full() returns trigger language plpgsql as $$ begin "
            "raise exception 'could not extend file: No space left on device' "
            "using errcode = 'disk_full'; end $$");
  running_service s{
      {{"SCPIPE_DATABASE_URL", db.config().url}, {"SCPIPE_DATABASE_WRITE_DEADLINE_MS", "1000"}}};
  producer p{s.endpoint};
  // The disk fills up at the batch's first write (the events' COPY) and at its last (the dead
  // letters' COPY, after the ledger and the events): either way nothing of it may remain.
  int64_t sent = 0, first_user = 1;
  for (std::string table : {"sc.sc_user_event", "scpipe.rejected_event"}) {
    SCOPED_TRACE(table);
    std::string id = "full-" + table;
    auto payload = "[" + events_payload(3, static_cast<int>(first_user)).substr(1);
    payload.insert(payload.size() - 1, R"(,{"user_id": "x", "event_type": "login"})");
    auto user_range =
        "user_id between " + std::to_string(first_user) + " and " + std::to_string(first_user + 2);
    first_user += 3;
    auto events = [&] {
      return std::stoll(db.scalar("select count(*) from sc.sc_user_event where " + user_range));
    };
    auto of_message = [&](const std::string& table_name) {
      return std::stoll(db.scalar("select count(*) from " + table_name + " where message_id = '"
                                  + id + "'::bytea"));
    };
    db.scalar("create trigger disk_full before insert on " + table
              + " for each statement execute function test_disk_full()");
    for (int attempt = 0; attempt < 2; ++attempt) { // resending while the disk is still full
      auto r = p.request(id, payload, 20s);
      ++sent;
      EXPECT_EQ(r.body.status, reply_status::retry) << r.text;
      EXPECT_NE(r.text.find("53100"), std::string::npos) << r.text;
      EXPECT_EQ(events(), 0);
      EXPECT_EQ(of_message("scpipe.rejected_event"), 0);
      EXPECT_EQ(of_message("scpipe.event_ledger"), 0);
    }
    db.scalar("drop trigger disk_full on " + table); // space freed
    auto r = p.request(id, payload, 20s);
    ++sent;
    EXPECT_EQ(r.body.status, reply_status::partial) << r.text;
    EXPECT_EQ(r.body.accepted, 3u);
    EXPECT_EQ(r.body.rejected, 1u);
    auto again = p.request(id, payload, 20s);
    ++sent;
    EXPECT_EQ(again.body.status, reply_status::duplicate) << again.text;
    EXPECT_EQ(events(), 3);
    EXPECT_EQ(of_message("scpipe.rejected_event"), 1);
    EXPECT_EQ(of_message("scpipe.event_ledger"), 1);
  }
  auto events = std::stoll(db.scalar("select count(*) from sc.sc_user_event"));
  auto dead = std::stoll(db.scalar("select count(*) from scpipe.rejected_event"));
  report({{"messages", 2},
          {"sent", sent},
          {"writer_retries", static_cast<int64_t>(s.metric("scpipe_writer_retries_total"))},
          {"committed_messages", std::stoll(db.scalar("select count(*) from scpipe.event_ledger"))},
          {"committed_events", events},
          {"dead_lettered", dead},
          {"lost_events", 6 - events}});
  EXPECT_EQ(events, 6);
  EXPECT_EQ(dead, 2);
  EXPECT_TRUE(s.errors().empty()) << s.errors().front();
}

// -- a writer crashes holding a batch -----------------------------------------------------------

TEST(faults, writer_killed_holding_a_batch_is_restarted_and_the_batch_committed_once) {
  // The production supervisor over the production event stream (writers, batcher, listener)
  // in this process, so the test can kill one writer actor: what an exception escaping its
  // handler or any other crash of its thread amounts to.
  test_database db;
  db.migrate();
  config cfg;
  cfg.database = db.config();
  cfg.database.pool_size = 2;
  cfg.database.write_deadline_ms = 30000;
  cfg.broker.endpoint = unique_endpoint();
  struct spawn_log { // addresses, not handles: a handle would keep its actor alive
    std::mutex mutex;
    std::map<std::string, std::vector<caf::actor_addr>> of;
    size_t starts(const std::string& name) {
      std::lock_guard guard{mutex};
      return of[name].size();
    }
    caf::actor_addr first(const std::string& name) {
      std::lock_guard guard{mutex};
      return of[name].front();
    }
  };
  auto spawned = std::make_shared<spawn_log>();
  auto children = event_stream_specs(cfg);
  for (auto& child : children)
    child.spawn = [spawned, name = child.name, inner = child.spawn](caf::actor_system& sys) {
      auto a = inner(sys);
      std::lock_guard guard{spawned->mutex};
      spawned->of[name].push_back(a.address());
      return a;
    };
  caf::actor_system_config sys_cfg;
  add_error_category(sys_cfg);
  caf::actor_system sys{sys_cfg};
  supervisor_settings settings;
  settings.restart = {100ms, 1s, 5, 60s};
  settings.stop_timeout = 10s;
  auto sup = sys.spawn(supervisor, settings, std::move(children));
  // Stops the supervisor however the test ends: the actor system waits for every actor.
  auto stopped_cleanly = [&, done = std::optional<bool>{}]() mutable {
    if (!done) {
      caf::scoped_actor self{sys};
      self->monitor(sup);
      self->send(sup, stop_atom::value);
      done = false;
      self->receive([&](caf::down_msg& msg) { done = !msg.reason; },
                    caf::after(std::chrono::seconds{30}) >> [] {});
    }
    return *done;
  };
  struct stop_on_exit {
    std::function<bool()> stop;
    ~stop_on_exit() {
      stop();
    }
  } stop_guard{[&] { return stopped_cleanly(); }};

  const auto& m = stream_metrics::get();
  auto reassigned_before = m.batches_reassigned.value();
  // The table is locked: the writer given the batch blocks in its COPY, holding it.
  auto locker = db.connect();
  auto lock = std::make_unique<pqxx::work>(locker);
  lock->exec0("lock table sc.sc_user_event in access exclusive mode");
  producer p{cfg.broker.endpoint};
  p.send("held", events_payload(3));
  std::string blocked;
  ASSERT_TRUE(eventually(
      [&] {
        blocked = db.scalar("select application_name from pg_stat_activity where wait_event_type "
                            "= 'Lock' and application_name like 'scpipe db_writer %' "
                            "and datname = current_database()");
        return blocked != "NULL";
      },
      20s));
  auto name = "db_writer_" + blocked.substr(std::string{"scpipe db_writer "}.size());
  auto& restarts = metrics::global().get_counter(
      "scpipe_supervisor_restarts_total", "Actors restarted after they failed.", {{"child", name}});
  auto restarts_before = restarts.value();
  ASSERT_EQ(spawned->starts(name), 1u);
  // The kill waits in the writer's mailbox while it is blocked; cancelling its statement lets
  // the handler return (to a backoff) and the kill take the writer, batch in hand.
  caf::anon_send_exit(spawned->first(name), caf::exit_reason::kill);
  db.scalar("select pg_cancel_backend(pid) from pg_stat_activity where application_name = '"
            + blocked + "' and datname = current_database()");
  EXPECT_TRUE(eventually([&] { return spawned->starts(name) == 2; }, 10s))
      << "the supervisor did not restart " << name;
  lock.reset(); // rolls back: the lock goes

  auto r = p.receive(30s);
  ASSERT_TRUE(r) << "no reply: the crashed writer's batch was lost";
  EXPECT_EQ(r->id, "held");
  EXPECT_EQ(r->body.status, reply_status::ok) << r->text;
  EXPECT_EQ(r->body.accepted, 3u);
  EXPECT_FALSE(p.receive(1s)) << "one reply per message";
  auto events = std::stoll(db.scalar("select count(*) from sc.sc_user_event"));
  report({{"messages", 1},
          {"sent", 1},
          {"writer_restarts", static_cast<int64_t>(restarts.value() - restarts_before)},
          {"batches_reassigned",
           static_cast<int64_t>(m.batches_reassigned.value() - reassigned_before)},
          {"committed_messages", std::stoll(db.scalar("select count(*) from scpipe.event_ledger"))},
          {"committed_events", events},
          {"dead_lettered", std::stoll(db.scalar("select count(*) from scpipe.rejected_event"))},
          {"lost_events", 3 - events}});
  EXPECT_EQ(restarts.value() - restarts_before, 1u);
  EXPECT_EQ(m.batches_reassigned.value() - reassigned_before, 1u);
  EXPECT_EQ(events, 3);
  EXPECT_EQ(db.scalar("select accepted || '/' || rejected from scpipe.event_ledger"), "3/0");

  EXPECT_TRUE(stopped_cleanly()) << "the supervisor stops cleanly after the restart";
}

// -- a producer vanishes with requests in flight ------------------------------------------------

TEST(faults, producer_gone_with_requests_in_flight_then_resending_loses_and_doubles_nothing) {
  test_database db;
  db.migrate();
  running_service s{
      {{"SCPIPE_DATABASE_URL", db.config().url}, {"SCPIPE_DATABASE_WRITE_DEADLINE_MS", "30000"}}};
  constexpr int n = 40, per = 50;
  auto messages = numbered_messages(n, per, "gone");
  // A locked table holds every message read: writers blocked in COPY, the rest batched.
  auto locker = db.connect();
  auto lock = std::make_unique<pqxx::work>(locker);
  lock->exec0("lock table sc.sc_user_event in access exclusive mode");
  {
    producer gone{s.endpoint};
    for (const auto& [id, payload] : messages)
      gone.send(id, payload);
    ASSERT_TRUE(eventually([&] { return s.metric("scpipe_broker_inflight_messages") == n; }, 20s))
        << "the service did not read every request";
  } // closed with linger 0: its requests are in flight, its identity gone
  producer::publish_stats st;
  std::map<std::string, int> replies; // id → replies received
  std::jthread publisher{[&] {
    producer again{s.endpoint}; // a new socket: a new identity
    st = again.publish(messages, n, 20s, 50s, [&](const producer::reply& r) { ++replies[r.id]; });
    EXPECT_FALSE(again.receive(1s)) << "nothing after the last answer";
  }};
  // Both copies of every message are held (the first sent by the gone producer), then the
  // database lets them through.
  EXPECT_TRUE(
      eventually([&] { return s.metric("scpipe_broker_inflight_messages") == 2 * n; }, 20s));
  lock.reset();
  publisher.join();

  auto events = std::stoll(db.scalar("select count(*) from sc.sc_user_event"));
  auto distinct = std::stoll(db.scalar("select count(distinct user_id) from sc.sc_user_event"));
  report({{"messages", n},
          {"sent", 2 * n + static_cast<int64_t>(st.resends)},
          {"answered_ok", static_cast<int64_t>(st.ok)},
          {"answered_duplicate", static_cast<int64_t>(st.duplicate)},
          {"committed_messages", std::stoll(db.scalar("select count(*) from scpipe.event_ledger"))},
          {"committed_events", events},
          {"dead_lettered", std::stoll(db.scalar("select count(*) from scpipe.rejected_event"))},
          {"lost_events", n * per - distinct}});
  EXPECT_EQ(st.unanswered, 0u);
  EXPECT_EQ(st.ok + st.duplicate, static_cast<size_t>(n));
  EXPECT_EQ(st.retry_replies, 0u);
  for (const auto& [id, count] : replies)
    EXPECT_EQ(count, 1) << id << ": one reply per request";
  EXPECT_EQ(std::stoll(db.scalar("select count(*) from scpipe.event_ledger")), n);
  EXPECT_EQ(events, n * per) << "no event doubled";
  EXPECT_EQ(distinct, n * per) << "no event lost";
  // The replies to the gone producer were dropped, and counted: nothing held, nothing logged
  // as an error, still running, and it stops cleanly.
  EXPECT_TRUE(eventually([&] { return s.metric("scpipe_broker_inflight_messages") == 0; }, 5s));
  EXPECT_EQ(s.metric("scpipe_broker_replies_undeliverable_total"), n);
  auto errors = s.errors();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(s.svc->wait(0ms), std::nullopt) << tail(s.svc->err());
  s.svc->signal(SIGTERM);
  EXPECT_EQ(s.svc->wait(30s), 0) << tail(s.svc->err());
}
