// The analysts' first question from kept counts (sql/0012, docs/schema.md "The analysts' first
// question"): sc.first_week_logins gives the plain join's answer at every step, through late
// commits, new SCD-2 versions from the real ETL, users without signup, events on the window's
// edges and dropped partitions; the service keeps the counts up to date.

#include "db/first_week.hpp"
#include "support/database.hpp"
#include "support/producer.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <future>
#include <map>
#include <optional>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

/// user_id -> (active, first-week logins)
using answer = std::map<int, std::pair<std::optional<bool>, int64_t>>;

answer read_answer(const test::test_database& db, const std::string& sql) {
  auto conn = db.connect();
  pqxx::nontransaction tx{conn};
  tx.exec0("set timezone = 'UTC'");
  answer out;
  for (const auto& r : tx.exec(sql))
    out[r[0].as<int>()] = {r[1].is_null() ? std::nullopt : std::optional<bool>{r[1].as<bool>()},
                           r[2].as<int64_t>()};
  return out;
}

answer view_answer(const test::test_database& db) {
  return read_answer(db, "select user_id, active, first_week_logins from sc.first_week_logins");
}

/// The plain join of docs/schema.md, on the contract tables only.
answer plain_answer(const test::test_database& db) {
  return read_answer(db, R"(
    select u.user_id, u.active, count(e.user_event_id) as first_week_logins
    from only sc.sc_user u
    left join sc.sc_user_event e
           on e.user_id = u.user_id
          and e.event_type = 'login'
          and e.event_ts between u.signup_ts and u.signup_ts + interval '7 days'
    group by u.user_id, u.active)");
}

int64_t number(const test::test_database& db, const std::string& sql) {
  return std::stoll(db.scalar(sql));
}

void exec(const test::test_database& db, const std::string& sql) {
  auto conn = db.connect();
  pqxx::nontransaction tx{conn};
  tx.exec0("set timezone = 'UTC'");
  tx.exec(sql);
}

/// Loads user documents into staging and runs the real ETL on them.
void etl(const test::test_database& db, const std::string& documents_values) {
  exec(db, "insert into staging.sc_user_document (user_document) values " + documents_values);
  exec(db, "select scpipe.run_user_etl('UTC')");
}

std::optional<db::first_week_count> count_now(const test::test_database& db) {
  auto conn = db.connect();
  return db::count_first_week_logins(conn);
}

} // namespace

TEST(
    first_week,
    the_view_gives_the_plain_join_answer_through_late_commits_new_versions_and_dropped_partitions) {
  test::test_database db;
  db.migrate();
  etl(db, R"(
    ('{"user_id": 1, "user_email": "a@x", "signup_ts": "2019-05-01T10:00:00Z", "active": true}'),
    ('{"user_id": 2, "user_email": "b@x", "signup_ts": "2019-05-10T00:00:00Z", "active": false}'),
    ('{"user_id": 3, "user_email": "c@x", "active": true}'),
    ('{"user_id": 4, "user_email": "d@x", "signup_ts": "2019-05-30T00:00:00Z", "active": true}'))");
  exec(db, R"(
    insert into sc.sc_user_event (user_id, event_type, event_ts) values
      (1, 'login', '2019-05-01 10:00:00+00'),    -- at signup: counts
      (1, 'login', '2019-05-03 12:00:00+00'),
      (1, 'login', '2019-05-08 10:00:00+00'),    -- exactly 7 days later: counts
      (1, 'login', '2019-05-08 10:00:01+00'),    -- a second too late
      (1, 'login', '2019-05-01 09:59:59+00'),    -- a second too early
      (1, 'purchase', '2019-05-02 00:00:00+00'), -- not a login
      (2, 'login', '2019-05-11 00:00:00+00'),
      (3, 'login', '2019-05-12 00:00:00+00'),    -- no signup_ts: no first week
      (4, 'login', '2019-05-31 00:00:00+00'),    -- in May's partition, dropped below
      (4, 'login', '2019-06-02 00:00:00+00'),
      (99, 'login', '2019-05-12 00:00:00+00'))"); // no such user yet
  auto expected = plain_answer(db);
  ASSERT_EQ(expected.at(1).second, 3);
  EXPECT_EQ(view_answer(db), expected) << "nothing counted yet";

  auto counted = count_now(db);
  ASSERT_TRUE(counted.has_value());
  EXPECT_EQ(counted->counted_through,
            number(db, "select max(user_event_id) from sc.sc_user_event"));
  EXPECT_EQ(view_answer(db), expected) << "after the first count";
  EXPECT_EQ(number(db, "select count(*) from scpipe.first_week_uncounted()"), 0);
  EXPECT_EQ(number(db, "select sum(logins) from scpipe.first_week_login"), 6)
      << "the view read the kept counts, not the events";
  EXPECT_EQ(number(db, "select count(*) from scpipe.first_week_pending where user_id = 99"), 1)
      << "the login of a user not there yet waits for it";

  // A transaction that drew its id first commits last: a count in between waits for it rather
  // than moving the watermark past an id it cannot see yet.
  auto slow_conn = db.connect();
  pqxx::work slow{slow_conn};
  slow.exec0("insert into sc.sc_user_event (user_id, event_type, event_ts) "
             "values (1, 'login', '2019-05-02 00:00:00+00')");
  exec(db, "insert into sc.sc_user_event (user_id, event_type, event_ts) values "
           "(2, 'login', '2019-05-12 00:00:00+00'), (2, 'login', '2019-05-17 00:00:01+00')");
  auto waiting = std::async(std::launch::async, [&] { return count_now(db); });
  EXPECT_EQ(waiting.wait_for(300ms), std::future_status::timeout)
      << "the count did not wait for the open insert";
  EXPECT_EQ(view_answer(db), plain_answer(db)) << "while an insert is open";
  slow.commit();
  auto after_late = waiting.get();
  ASSERT_TRUE(after_late.has_value());
  EXPECT_EQ(after_late->counted_through,
            number(db, "select max(user_event_id) from sc.sc_user_event"));
  expected = plain_answer(db);
  EXPECT_EQ(expected.at(1).second, 4);
  EXPECT_EQ(view_answer(db), expected) << "after the late commit was counted";

  // New SCD-2 versions: user 1 signs up later (its week moves), user 99 arrives; both are
  // counted again in the ETL's transaction, up to the watermark. Later events are counted by
  // the view until the next count.
  etl(db, R"(
    ('{"user_id": 1, "user_email": "a@x", "signup_ts": "2019-05-03T12:00:00Z", "active": true}'),
    ('{"user_id": 99, "user_email": "z@x", "signup_ts": "2019-05-11T00:00:00Z", "active": false}'))");
  ASSERT_EQ(number(db, "select count(*) from sc.sc_user_hist where user_id = 1"), 1);
  exec(db, "insert into sc.sc_user_event (user_id, event_type, event_ts) values "
           "(1, 'login', '2019-05-10 12:00:00+00'), (99, 'login', '2019-05-18 00:00:00+00')");
  expected = plain_answer(db);
  EXPECT_EQ(expected.at(1).second, 4); // 05-03 12:00, 05-08 10:00 and 10:00:01, 05-10 12:00
  EXPECT_EQ(expected.at(99).second, 2);
  EXPECT_EQ(view_answer(db), expected) << "after the ETL's new versions";
  EXPECT_EQ(number(db, "select count(*) from scpipe.first_week_pending"), 0);
  ASSERT_TRUE(count_now(db).has_value());
  EXPECT_EQ(view_answer(db), expected) << "after counting again";
  EXPECT_EQ(number(db, "select count(*) from scpipe.first_week_uncounted()"), 0);

  // Retention drops May's partition: its counted logins go with it.
  exec(db, "select scpipe.ensure_event_partition('month', '2019-05-15 00:00:00+00')");
  exec(db, "select scpipe.drop_event_partitions('1 month')");
  expected = plain_answer(db);
  EXPECT_EQ(expected.at(4).second, 1);
  EXPECT_EQ(expected.at(1).second, 0);
  EXPECT_EQ(view_answer(db), expected) << "after May's events were dropped";

  // Counting everything again from the events gives the same answer.
  exec(db, "insert into sc.sc_user_event (user_id, event_type, event_ts) "
           "values (5, 'login', '2019-06-03 00:00:00+00')"); // no such user: waits
  exec(db, "select scpipe.rebuild_first_week()");
  EXPECT_EQ(view_answer(db), expected) << "after a rebuild";
  EXPECT_EQ(number(db, "select count(*) from scpipe.first_week_pending"), 1);
  EXPECT_EQ(number(db, "select count(*) from scpipe.first_week_uncounted()"), 0);
}

TEST(first_week, the_service_counts_new_events_every_analytics_interval) {
  test::test_database db;
  db.migrate();
  etl(db,
      R"(('{"user_id": 7, "user_email": "a@x", "signup_ts": "2026-01-01T00:00:00Z", "active": true}'))");
  test::running_service s{db, {{"SCPIPE_ANALYTICS_INTERVAL_S", "1"}}};
  exec(db, "insert into sc.sc_user_event (user_id, event_type, event_ts) "
           "select 7, 'login', '2026-01-02 00:00:00+00' from generate_series(1, 25)");
  auto last = number(db, "select max(user_event_id) from sc.sc_user_event");
  EXPECT_TRUE(test::eventually(
      [&] { return number(db, "select counted_through from sc.first_week_counted") >= last; },
      10s));
  EXPECT_EQ(number(db, "select logins from scpipe.first_week_login where user_id = 7"), 25);
  EXPECT_EQ(view_answer(db), plain_answer(db));
  EXPECT_GE(s.metric("scpipe_first_week_counts_total"), 1);

  // After a producer's ok the answer holds the event at once, counted or not.
  test::producer p{s.endpoint};
  ASSERT_EQ(p.request("late", R"({"user_id": 7, "event_type": "login",
                                 "event_time": "2026-01-03T00:00:00Z"})")
                .body.status,
            reply_status::ok);
  EXPECT_EQ(number(db, "select first_week_logins from sc.first_week_logins where user_id = 7"), 26);
  EXPECT_TRUE(s.errors().empty());
}
