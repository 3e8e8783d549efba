// Several `scpipe run` instances on one database (docs/scaling.md): producers connected to all
// of them with one instance killed mid-stream, and ETL schedulers that skip a tick instead of
// queueing behind another instance's run.

#include "support/database.hpp"
#include "support/process.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <atomic>
#include <csignal>
#include <memory>
#include <regex>
#include <thread>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

int64_t count(const test::test_database& db, const std::string& sql) {
  return std::stoll(db.scalar(sql));
}

/// How often `text` occurs in `haystack`.
size_t occurrences(const std::string& haystack, const std::string& text) {
  size_t n = 0;
  for (auto at = haystack.find(text); at != std::string::npos; at = haystack.find(text, at + 1))
    ++n;
  return n;
}

/// The "resent" count of publish's JSON summary line.
int64_t resent_of(const std::string& err) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex{"\"message\":\"published\".*\"resent\":([0-9]+)"}))
    return -1;
  return std::stoll(m[1].str());
}

} // namespace

TEST(instances, three_instances_one_killed_mid_stream_commit_every_event_exactly_once) {
  test::test_database db;
  db.migrate();
  std::vector<std::unique_ptr<test::running_service>> services;
  for (int i = 0; i < 3; ++i)
    services.push_back(std::make_unique<test::running_service>(db));
  // 8 producers, each connected to all three, 37,500 events each under fixed ids.
  constexpr size_t producers = 8;
  constexpr size_t per_producer = 37500;
  test::scratch_files files;
  std::vector<std::unique_ptr<test::process>> publishers;
  for (size_t k = 0; k < producers; ++k) {
    std::string text;
    for (size_t i = 1; i <= per_producer; ++i)
      text += R"({"user_id": )" + std::to_string(k * per_producer + i)
              + R"(, "event_type": "login", "event_time": "2019-05-13T03:11:04"})" + "\n";
    auto path = files.write("producer-" + std::to_string(k) + ".ndjson", text);
    std::vector<std::string> argv{
        SCPIPE_BINARY, "publish",           "--batch=50",
        "--window=16", "--timeout-ms=3000", "--id-prefix=instances-" + std::to_string(k)};
    for (const auto& s : services)
      argv.push_back("--endpoint=" + s->endpoint);
    argv.push_back(path);
    publishers.push_back(std::make_unique<test::process>(argv));
  }
  // Mid-stream: the second instance dies with whatever it holds in flight, and stays dead.
  ASSERT_TRUE(test::eventually(
      [&] { return count(db, "select count(*) from sc.sc_user_event") >= 60000; }, 120s));
  services[1]->svc->signal(SIGKILL);
  int64_t resent = 0;
  for (auto& p : publishers) {
    auto code = p->wait(240s);
    ASSERT_TRUE(code) << "publish still running:\n" << p->err();
    EXPECT_EQ(*code, 0) << "a message got no ok or duplicate:\n" << p->err();
    resent += resent_of(p->err());
  }
  EXPECT_EQ(count(db, "select count(*) from sc.sc_user_event"),
            static_cast<int64_t>(producers * per_producer));
  EXPECT_EQ(count(db, "select count(distinct user_id) from sc.sc_user_event"),
            static_cast<int64_t>(producers * per_producer));
  // What the killed instance held was resent, to the others, and nothing else: at most the
  // producers' windows.
  EXPECT_GT(resent, 0) << "nothing was in flight at the killed instance";
  EXPECT_LE(resent, static_cast<int64_t>(producers * 16));
  for (size_t i : {0, 2})
    EXPECT_EQ(services[i]->stop(), 0) << services[i]->svc->err();
}

TEST(instances, an_etl_tick_is_skipped_while_another_run_holds_the_lock) {
  test::test_database db;
  db.migrate();
  auto conn = db.connect();
  pqxx::nontransaction{conn}.exec(
      "insert into staging.sc_user_document (user_document) values ('{\"user_id\": 7}')");
  // Another run (another instance, or scpipe etl) holds the ETL's lock.
  auto holder = db.connect();
  pqxx::work held{holder};
  ASSERT_TRUE(held.exec1("select scpipe.try_lock_user_etl()")[0].as<bool>());
  test::running_service s{db, {{"SCPIPE_ETL_INTERVAL_S", "1"}}};
  const std::string skipped = "user etl tick skipped";
  ASSERT_TRUE(test::eventually([&] { return occurrences(s.svc->err(), skipped) >= 2; }, 20s))
      << s.svc->err();
  EXPECT_EQ(db.lock_waiters(), 0) << "the scheduler waits for the lock instead of skipping";
  EXPECT_EQ(count(db, "select count(*) from scpipe.etl_run"), 0);
  held.abort();
  ASSERT_TRUE(s.svc->wait_for_stderr("\"inserted\":1", 20s)) << s.svc->err();
  EXPECT_EQ(s.stop(), 0) << s.svc->err();
  EXPECT_EQ(count(db, "select count(*) from only sc.sc_user"), 1);
}

TEST(instances, two_instances_etl_schedulers_never_run_at_once) {
  test::test_database db;
  db.migrate();
  std::map<std::string, std::string> every_second{{"SCPIPE_ETL_INTERVAL_S", "1"}};
  test::running_service a{db, every_second};
  test::running_service b{db, every_second};
  // Documents keep arriving for 30 s, so that runs have work and last long enough to collide.
  std::atomic<bool> loading{true};
  std::thread loader{[&] {
    auto c = db.connect();
    for (int round = 0; loading; ++round) {
      pqxx::nontransaction{c}.exec(
          "insert into staging.sc_user_document (user_document) select jsonb_build_object("
          "'user_id', g, 'user_email', 'u' || g || '-' || "
          + std::to_string(round)
          + " || '@example.com', 'signup_ts', '2019-05-13T03:11:04')::json "
            "from generate_series(1, 2000) g");
      std::this_thread::sleep_for(200ms);
    }
  }};
  std::this_thread::sleep_for(30s);
  loading = false;
  loader.join();
  // Both keep running: wait until a run has taken in every document.
  ASSERT_TRUE(test::eventually(
      [&] {
        return count(db, "select coalesce(max(document_seq), 0) from scpipe.etl_run")
               == count(db, "select max(load_seq) from staging.sc_user_document");
      },
      60s));
  EXPECT_EQ(a.stop(), 0) << a.svc->err();
  EXPECT_EQ(b.stop(), 0) << b.svc->err();
  EXPECT_GE(count(db, "select count(*) from scpipe.etl_run"), 10);
  EXPECT_EQ(count(db, "select count(*) from scpipe.etl_run r join scpipe.etl_run s "
                      "on r.run_id < s.run_id and tstzrange(r.started_at, r.finished_at) "
                      "&& tstzrange(s.started_at, s.finished_at)"),
            0)
      << "two runs overlapped";
  // Every user's current version holds the e-mail of its last document.
  EXPECT_EQ(count(db, "select count(*) from only sc.sc_user"), 2000);
  EXPECT_EQ(count(db, "with latest as (select distinct on (d.user_document->>'user_id') "
                      "(d.user_document->>'user_id')::int as id, d.user_document->>'user_email' "
                      "as email from staging.sc_user_document d order by "
                      "d.user_document->>'user_id', d.load_seq desc) "
                      "select count(*) from latest l left join only sc.sc_user u "
                      "on u.user_id = l.id where u.user_email is distinct from l.email"),
            0);
}
