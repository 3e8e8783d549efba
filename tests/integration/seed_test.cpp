// `scpipe seed`: the repository's example data through the whole pipeline, against a running
// service and a real PostgreSQL.

#include "support/database.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace scpipe;
using namespace scpipe::test;
using namespace std::chrono_literals;

TEST(seed, loads_users_twice_runs_the_etl_and_publishes_the_events_once) {
  test_database db;
  auto env = db.env();
  env["SCPIPE_BROKER_ENDPOINT"] = unique_endpoint();
  auto seed_dir = std::string{"--dir="} + SCPIPE_SOURCE_DIR + "/seed";
  // The seed migrates; the service needs the tables first, as scripts/up does.
  ASSERT_EQ(run({SCPIPE_BINARY, "migrate"}, env).code, 0);
  process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("\"message\":\"listening\"", 20s)) << svc.err();

  auto r = run({SCPIPE_BINARY, "seed", seed_dir}, env);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("accepted 410, rejected 4"), std::string::npos) << r.out;
  EXPECT_EQ(db.scalar("select count(*) from only sc.sc_user"), "48");
  // Users whose company (CRM) or licence changed in the later exports have history rows.
  EXPECT_EQ(db.scalar("select count(*) from sc.sc_user_hist"), "7");
  EXPECT_EQ(db.scalar("select user_company from only sc.sc_user where user_id = 2"),
            "Monster Holdings, LLC");
  EXPECT_EQ(db.scalar("select user_company from sc.sc_user_hist where user_id = 2"),
            "Hooper's Store");
  EXPECT_EQ(db.scalar("select count(*) from sc.sc_user_event"), "410");
  EXPECT_EQ(db.scalar("select count(*) from scpipe.rejected_event"), "4");
  // The analysts' question has an answer with both kinds of users.
  EXPECT_EQ(db.scalar("select count(distinct active) from sc.first_week_logins"), "2");

  // Again: nothing is loaded or written twice.
  auto again = run({SCPIPE_BINARY, "seed", seed_dir}, env);
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("not loaded again"), std::string::npos) << again.out;
  EXPECT_EQ(db.scalar("select count(*) from sc.sc_user_event"), "410");
  EXPECT_EQ(db.scalar("select count(*) from sc.sc_user_hist"), "7");

  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
}

TEST(seed, a_missing_seed_file_is_named_and_exit_is_2) {
  auto r = run({SCPIPE_BINARY, "seed", "--dir=/nonexistent-seed"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("/nonexistent-seed/users.json: missing"), std::string::npos) << r.err;
}
