// sc.sc_user_event partitioned by time (sql/0009, docs/schema.md "Events by time"): events of
// any time land, the service makes partitions ahead and drops those past events.retention, and
// the migration moves the events of an unpartitioned table.

#include "db/migrator.hpp"
#include "support/database.hpp"
#include "support/producer.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <set>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

int64_t count(const test::test_database& db, const std::string& sql) {
  return std::stoll(db.scalar(sql));
}

std::set<std::string> partition_names(const test::test_database& db) {
  auto conn = db.connect();
  std::set<std::string> out;
  for (const auto& row : pqxx::nontransaction{conn}.exec("select name from scpipe.event_partition"))
    out.insert(row[0].as<std::string>());
  return out;
}

/// The name of the monthly partition holding `ts` (an SQL expression), as sql/0009 makes it.
std::string month_partition(const test::test_database& db, const std::string& ts) {
  return db.scalar("select 'sc_user_event_' || to_char((" + ts
                   + ") at time zone 'UTC', 'YYYY_MM')");
}

/// Every migration up to and including `last` (e.g. "0008"), in order.
std::vector<db::migration> migrations_through(const std::string& last) {
  std::vector<db::migration> out;
  for (const auto& m : db::embedded_migrations())
    if (m.name.substr(0, last.size()) <= last)
      out.push_back(m);
  return out;
}

} // namespace

TEST(partitions, events_of_any_time_land_and_partitions_are_made_ahead) {
  test::test_database db;
  db.migrate();
  test::running_service s{db};
  // At start the keeper makes this month's partition and the next three.
  ASSERT_TRUE(test::eventually(
      [&] {
        return count(db, "select count(*) from scpipe.event_partition "
                         "where lower_ts <= now() + interval '3 months' and upper_ts > now()")
               == 4;
      },
      20s))
      << s.svc->err();
  test::producer p{s.endpoint};
  auto r = p.request("times",
                     R"([
      {"user_id": 1, "event_type": "login", "event_time": "1970-01-01T00:00:00Z"},
      {"user_id": 2, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"},
      {"user_id": 3, "event_type": "login", "event_time": "2199-12-31T23:59:59Z"},
      {"user_id": 4, "event_type": "login", "event_time": ")"
                         + db.scalar("select to_char(now() at time zone 'UTC', "
                                     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
                         + R"("}])",
                     20s);
  EXPECT_EQ(r.body.accepted, 4u) << r.text;
  // Only the current one has a partition; the others are kept by the default partition.
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event_default"), 3);
  EXPECT_EQ(db.scalar("select tableoid::regclass::text from sc.sc_user_event where user_id = 4"),
            "sc." + month_partition(db, "now()"));
  EXPECT_EQ(s.metric("scpipe_event_partitions_made_total"), 4);
  // A second keeper (another instance) finds them made.
  test::running_service other{db};
  EXPECT_EQ(other.metric("scpipe_event_partitions_made_total"), 0);
  EXPECT_EQ(s.stop(), 0) << s.svc->err();
  EXPECT_EQ(other.stop(), 0) << other.svc->err();
}

TEST(partitions, retention_drops_exactly_the_partitions_past_it) {
  test::test_database db;
  db.migrate();
  auto conn = db.connect();
  pqxx::nontransaction{conn}.exec(R"(
    select scpipe.ensure_event_partition('month', now() - interval '14 months');
    select scpipe.ensure_event_partition('month', now() - interval '12 months');
    insert into sc.sc_user_event (user_id, event_type, event_ts) values
      (1, 'login', now() - interval '14 months'),
      (2, 'login', now() - interval '12 months'),
      (3, 'login', '1970-01-01 00:00:00+00');
  )");
  auto old = month_partition(db, "now() - interval '14 months'");
  auto kept = month_partition(db, "now() - interval '12 months'");
  test::running_service s{db, {{"SCPIPE_EVENTS_RETENTION", "13 months"}}};
  ASSERT_TRUE(s.svc->wait_for_stderr("event partition dropped", 20s)) << s.svc->err();
  auto names = partition_names(db);
  EXPECT_FALSE(names.contains(old));
  EXPECT_TRUE(names.contains(kept));
  EXPECT_TRUE(names.contains("sc_user_event_default")) << "the default partition is never dropped";
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event"), 2);
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event where user_id = 1"), 0);
  EXPECT_EQ(count(db, "select count(*) from pg_class where relname = '" + old + "'"), 0)
      << "detached and dropped, not left behind";
  EXPECT_EQ(s.metric("scpipe_event_partitions_dropped_total"), 1);
  EXPECT_EQ(s.stop(), 0) << s.svc->err();
}

TEST(partitions, a_partition_made_later_takes_the_rows_the_default_partition_held_for_it) {
  test::test_database db;
  db.migrate();
  auto conn = db.connect();
  pqxx::nontransaction{conn}.exec(R"(
    insert into sc.sc_user_event (user_id, event_type, event_ts) values
      (1, 'login', '2031-03-01 00:00:00+00'),
      (2, 'login', '2031-03-31 23:59:59+00'),
      (3, 'login', '2031-04-01 00:00:00+00');
  )");
  EXPECT_EQ(db.scalar("select scpipe.ensure_event_partition('month', '2031-03-15')"),
            "sc_user_event_2031_03");
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event_2031_03"), 2);
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event_default"), 1);
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event"), 3);
  // An interval a partition already covers in part is left alone, whatever the interval.
  EXPECT_EQ(
      db.scalar("select coalesce(scpipe.ensure_event_partition('day', '2031-03-02'), 'none')"),
      "none");
  EXPECT_THROW(db.scalar("select scpipe.ensure_event_partition('hour', now())"), pqxx::sql_error);
}

TEST(partitions, migrating_a_table_that_holds_events_keeps_every_row_view_and_grant) {
  test::test_database db;
  auto conn = db.connect();
  db::migrate(conn, migrations_through("0008"));
  pqxx::nontransaction{conn}.exec(R"(
    insert into sc.sc_user (user_id, signup_ts, active) values (1, '2019-05-01', true);
    insert into sc.sc_user_event (user_id, platform, event_type, event_ts, first_event) values
      (1, 'ios', 'login', '2019-05-02 10:00:00+00', true),
      (1, 'web', 'login', '2019-06-02 10:00:00+00', false),
      (2, null, 'purchase', '2026-12-01 00:00:00+00', null);
    create view sc.my_logins as select count(*) as n from sc.sc_user_event where event_type = 'login';
    insert into scpipe.event_ledger (message_id, accepted, rejected, committed_at)
      values ('before'::bytea, 3, 0, now() - interval '2 days');
    grant select on sc.sc_user_event, sc.my_logins to public;
  )");
  const std::string rows = "select string_agg(format('%s|%s|%s|%s|%s|%s|%s', user_event_id, "
                           "user_id, platform, event_ts, event_type, first_event, created_on_ts), "
                           "';' order by user_event_id) from sc.sc_user_event";
  auto before = db.scalar(rows);
  auto max_id = count(db, "select max(user_event_id) from sc.sc_user_event");
  db::migrate(conn, db::embedded_migrations());
  EXPECT_EQ(db.scalar(rows), before);
  EXPECT_EQ(db.scalar("select ledger_day = date_trunc('day', committed_at at time zone 'UTC') at "
                      "time zone 'UTC' and accepted = 3 from scpipe.event_ledger "
                      "where message_id = 'before'::bytea"),
            "t")
      << "the ledger row is kept, filed under the day it was committed";
  EXPECT_EQ(db.scalar("select relkind from pg_class where oid = 'sc.sc_user_event'::regclass"),
            "p");
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event_default"), 0);
  auto names = partition_names(db);
  for (const char* month :
       {"sc_user_event_2019_05", "sc_user_event_2019_06", "sc_user_event_2026_12"})
    EXPECT_TRUE(names.contains(month)) << month;
  EXPECT_GT(count(db, "insert into sc.sc_user_event (user_id, event_type, event_ts) "
                      "values (3, 'login', now()) returning user_event_id"),
            max_id)
      << "the sequence goes on";
  EXPECT_EQ(count(db, "select n from sc.my_logins"), 3)
      << "a view of the analysts' reads the new table";
  EXPECT_EQ(count(db, "select first_week_logins from sc.first_week_logins where user_id = 1"), 1);
  EXPECT_NE(db.scalar("select relacl::text from pg_class where oid = 'sc.sc_user_event'::regclass")
                .find("=r/"),
            std::string::npos)
      << "the grant to PUBLIC was kept";
  EXPECT_NE(db.scalar("select relacl::text from pg_class where oid = 'sc.my_logins'::regclass")
                .find("=r/"),
            std::string::npos);
}

TEST(partitions, migration_refuses_events_without_a_time_naming_how_many) {
  test::test_database db;
  auto conn = db.connect();
  db::migrate(conn, migrations_through("0008"));
  pqxx::nontransaction{conn}.exec(
      "insert into sc.sc_user_event (user_id, event_type) values (1, 'login'), (2, 'login')");
  try {
    db::migrate(conn, db::embedded_migrations());
    FAIL() << "migrated events without event_ts";
  } catch (const db::migration_error& e) {
    EXPECT_NE(std::string{e.what()}.find("2 events without event_ts"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(db.scalar("select relkind from pg_class where oid = 'sc.sc_user_event'::regclass"), "r")
      << "nothing half done";
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event"), 2);
}

TEST(partitions,
     ledger_generations_past_the_retention_are_dropped_and_a_remembered_id_stays_duplicate) {
  // Three generations of the id ledger: 20 days ago, 10 days ago, today's (the migration's).
  // With 7 days' retention the first goes (its successor began 10 days ago); the second stays,
  // since ids were filed under it until today.
  test::test_database db;
  db.migrate();
  auto conn = db.connect();
  pqxx::nontransaction{conn}.exec(R"(
    select scpipe.ensure_partition('scpipe.event_ledger', 'day', now() - interval '20 days');
    select scpipe.ensure_partition('scpipe.event_ledger', 'day', now() - interval '10 days');
    insert into scpipe.event_ledger (message_id, accepted, rejected, ledger_day) values
      ('forgotten'::bytea, 1, 0,
       date_trunc('day', (now() - interval '20 days') at time zone 'UTC') at time zone 'UTC'),
      ('remembered'::bytea, 1, 0,
       date_trunc('day', (now() - interval '10 days') at time zone 'UTC') at time zone 'UTC');
  )");
  test::running_service s{db, {{"SCPIPE_BROKER_DEDUP_RETENTION_DAYS", "7"}}};
  ASSERT_TRUE(s.svc->wait_for_stderr("ledger partition dropped", 20s)) << s.svc->err();
  EXPECT_EQ(s.metric("scpipe_ledger_partitions_dropped_total"), 1);
  test::producer p{s.endpoint};
  const std::string event =
      R"([{"user_id": 1, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"}])";
  auto remembered = p.request("remembered", event, 20s);
  EXPECT_EQ(remembered.body.status, reply_status::duplicate) << remembered.text;
  auto forgotten = p.request("forgotten", event, 20s);
  EXPECT_EQ(forgotten.body.status, reply_status::ok) << forgotten.text;
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event"), 1);
  EXPECT_EQ(count(db, "select count(*) from scpipe.event_ledger where message_id = "
                      "'remembered'::bytea"),
            1)
      << "an id another day holds is not filed again under today";
  // Resent again, now that today holds it too: still once.
  EXPECT_EQ(p.request("forgotten", event, 20s).body.status, reply_status::duplicate);
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event"), 1);
  EXPECT_EQ(s.stop(), 0) << s.svc->err();
}

TEST(partitions, the_ledger_begins_a_new_generation_once_the_current_one_is_the_retention_old) {
  test::test_database db;
  db.migrate();
  auto conn = db.connect();
  const std::string today = db.scalar("select date_trunc('day', now() at time zone 'UTC') at time "
                                      "zone 'UTC'");
  // Not yet 7 days old: no roll.
  EXPECT_EQ(db.scalar("select scpipe.roll_ledger_day(7)"), today);
  pqxx::nontransaction{conn}.exec(R"(
    select scpipe.ensure_partition('scpipe.event_ledger', 'day', now() - interval '8 days');
    update scpipe.ledger_epoch
      set day = date_trunc('day', (now() - interval '8 days') at time zone 'UTC') at time zone 'UTC';
  )");
  EXPECT_EQ(db.scalar("select scpipe.roll_ledger_day(7)"), today);
  EXPECT_EQ(db.scalar("select scpipe.ledger_day()"), today);
  EXPECT_EQ(count(db, "select count(*) from scpipe.range_partition where parent = "
                      "'scpipe.event_ledger'::regclass and lower_ts = '"
                          + today + "'"),
            1);
  // The 8-day-old generation's successor began today: it is kept.
  EXPECT_EQ(count(db, "select count(*) from scpipe.drop_ledger_partitions(7)"), 0);
}
