// The ETL scheduler inside `scpipe run`: runs on its interval, survives a database outage.

#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <csignal>
#include <thread>

using namespace scpipe;
using namespace std::chrono_literals;

TEST(etl_scheduler, runs_the_etl_every_interval_and_logs_a_summary) {
  test::test_database db;
  db.migrate();
  auto conn = db.connect();
  pqxx::nontransaction{conn}.exec("insert into staging.sc_user_document (user_document) values "
                                  "('{\"user_id\": 1}'), ('{\"user_id\": 2}')");
  auto env = db.env();
  env["SCPIPE_ETL_INTERVAL_S"] = "1";
  test::process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("\"inserted\":2", 20s)) << svc.err();
  pqxx::nontransaction{conn}.exec(
      "insert into staging.sc_user_document (user_document) values ('{\"user_id\": 3}')");
  ASSERT_TRUE(svc.wait_for_stderr("\"inserted\":1", 20s)) << svc.err();
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
  EXPECT_EQ(pqxx::nontransaction{conn}.exec1("select count(*) from only sc.sc_user")[0].as<int>(),
            3);
}

TEST(etl_scheduler, survives_a_database_outage_and_resumes_when_it_returns) {
  // The database does not exist yet: every tick fails to connect, the service stays up.
  test::test_database db;
  std::string name = db.name() + "_later";
  test::process svc{{SCPIPE_BINARY, "run"},
                    {{"SCPIPE_DATABASE_URL", "dbname=" + name}, {"SCPIPE_ETL_INTERVAL_S", "1"}}};
  ASSERT_TRUE(svc.wait_for_stderr("database unreachable; retrying at the next tick", 20s))
      << svc.err();
  {
    auto admin = db.connect();
    pqxx::nontransaction{admin}.exec("create database " + name);
  }
  {
    pqxx::connection later{"dbname=" + name};
    test::run_result m =
        test::run({SCPIPE_BINARY, "migrate"}, {{"SCPIPE_DATABASE_URL", "dbname=" + name}});
    ASSERT_EQ(m.code, 0) << m.err;
    pqxx::nontransaction{later}.exec(
        "insert into staging.sc_user_document (user_document) values ('{\"user_id\": 42}')");
  }
  EXPECT_TRUE(svc.wait_for_stderr("\"inserted\":1", 20s)) << svc.err();
  EXPECT_FALSE(svc.wait(0ms)) << "the service exited during the outage";
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
  auto admin = db.connect();
  pqxx::nontransaction{admin}.exec("drop database " + name + " with (force)");
}

TEST(etl_scheduler, sigterm_cancels_a_blocked_etl_run_and_the_service_exits_0_promptly) {
  test::test_database db;
  db.migrate();
  // A load in flight: the ETL waits for it (SHARE lock on staging) and blocks there.
  auto loader = db.connect();
  pqxx::work load{loader};
  load.exec("insert into staging.sc_user_document (user_document) values ('{\"user_id\": 1}')");
  auto env = db.env();
  env["SCPIPE_ETL_INTERVAL_S"] = "1";
  test::process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("\"child\":\"etl_scheduler\"", 10s)) << svc.err();
  ASSERT_TRUE(test::eventually([&] { return db.lock_waiters() == 1; }, 20s))
      << "the first run did not reach the lock:\n"
      << svc.err();
  auto asked = std::chrono::steady_clock::now();
  svc.signal(SIGTERM);
  auto code = svc.wait(10s);
  auto took = std::chrono::steady_clock::now() - asked;
  ASSERT_TRUE(code) << "still running:\n" << svc.err();
  EXPECT_EQ(*code, 0) << svc.err();
  EXPECT_LT(took, 5s) << "the blocked run was not cancelled (stop timeout is 30 s)";
  EXPECT_NE(svc.err().find("user etl run cancelled for shutdown"), std::string::npos) << svc.err();
  load.commit();
  auto conn = db.connect();
  EXPECT_EQ(pqxx::nontransaction{conn}.exec1("select count(*) from scpipe.etl_run")[0].as<int>(),
            0);
}

TEST(etl_scheduler, events_of_users_the_dimension_lacks_are_counted_as_of_the_last_run) {
  test::test_database db;
  db.migrate();
  auto conn = db.connect();
  auto add_user = [&](int id) {
    pqxx::nontransaction{conn}.exec("insert into staging.sc_user_document (user_document) values "
                                    "('{\"user_id\": "
                                    + std::to_string(id) + "}')");
  };
  add_user(1);
  add_user(2);
  auto env = db.env();
  env["SCPIPE_BROKER_ENDPOINT"] = test::unique_endpoint();
  auto http_port = test::free_tcp_port();
  env["SCPIPE_HTTP_LISTEN"] = "127.0.0.1:" + std::to_string(http_port);
  env["SCPIPE_ETL_INTERVAL_S"] = "1";
  env["SCPIPE_LOG_LEVEL"] = "debug";
  test::process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(
      svc.wait_for_stderr(R"("message":"current user ids loaded","fields":{"users":2})", 20s))
      << svc.err();
  auto unknown_events = [&] {
    for (const auto& line : test::lines(test::http_get(http_port, "/metrics").body))
      if (line.starts_with("scpipe_events_unknown_user_total "))
        return std::stoi(line.substr(line.rfind(' ') + 1));
    return -1;
  };
  test::scratch_files files;
  auto publish = [&](const std::vector<int>& users) {
    std::string events;
    for (int id : users)
      events += "{\"user_id\": " + std::to_string(id)
                + ", \"event_type\": \"login\", \"event_time\": \"2019-05-13T03:11:04Z\"}\n";
    auto r = test::run({SCPIPE_BINARY, "publish", files.write("events.ndjson", events)}, env);
    ASSERT_EQ(r.code, 0) << r.err;
  };
  publish({1, 2, 99, 99});
  EXPECT_EQ(unknown_events(), 2) << "user 99 is not in the dimension yet";
  add_user(99);
  ASSERT_TRUE(
      svc.wait_for_stderr(R"("message":"current user ids loaded","fields":{"users":3})", 20s))
      << svc.err();
  publish({99, 100});
  EXPECT_EQ(unknown_events(), 3) << "99 is known now, 100 is not";
  EXPECT_EQ(pqxx::nontransaction{conn}.exec1("select count(*) from sc.sc_user_event")[0].as<int>(),
            6)
      << "counted, and stored all the same";
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
}
