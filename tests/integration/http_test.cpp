// The HTTP endpoint of `scpipe run`: /healthz, /readyz and /metrics over a real socket, the
// metrics checked by Debian's promtool.

#include "support/database.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/producer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

using namespace scpipe;
using namespace scpipe::test;
using namespace std::chrono_literals;

namespace {

/// Polls `path` until it answers `status` with `text` in the body (or 20 s pass); returns the
/// last reply.
http_reply wait_for(int port, const std::string& path, int status, const std::string& text = "") {
  http_reply r;
  for (int i = 0; i < 200; ++i) {
    r = http_get(port, path);
    if (r.status == status && r.body.find(text) != std::string::npos)
      break;
    std::this_thread::sleep_for(100ms);
  }
  return r;
}

/// A service's environment: `db`, /metrics and /readyz on `port`, a broker endpoint of its own.
std::map<std::string, std::string> service_env(const test_database& db, int port) {
  auto env = db.env();
  env["SCPIPE_HTTP_LISTEN"] = "127.0.0.1:" + std::to_string(port);
  env["SCPIPE_BROKER_ENDPOINT"] = unique_endpoint();
  return env;
}

/// promtool from PATH, or the one scripts/setup unpacks into var/tools.
std::string promtool() {
  std::string local = std::string{SCPIPE_SOURCE_DIR} + "/var/tools/prometheus/usr/bin/promtool";
  if (std::filesystem::exists(local))
    return local;
  for (auto dir : {"/usr/bin", "/usr/local/bin"})
    if (std::filesystem::exists(std::string{dir} + "/promtool"))
      return std::string{dir} + "/promtool";
  return {};
}

} // namespace

TEST(http_endpoint, healthz_and_readyz_answer_once_the_service_is_up) {
  test_database db;
  db.migrate();
  int port = free_tcp_port();
  auto env = db.env();
  env["SCPIPE_HTTP_LISTEN"] = "127.0.0.1:" + std::to_string(port);
  process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("serving /metrics", 20s)) << svc.err();
  auto health = http_get(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  auto ready = wait_for(port, "/readyz", 200);
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, "ready\n");
  EXPECT_EQ(http_get(port, "/nothing-here").status, 404);
  EXPECT_EQ(http_request_to(port, "POST /metrics HTTP/1.1").status, 405);
  EXPECT_EQ(http_request_to(port, "garbage").status, 400);
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
}

TEST(http_endpoint, readyz_is_503_with_the_reason_while_the_database_is_unreachable) {
  test_database db;
  int port = free_tcp_port();
  process svc{{SCPIPE_BINARY, "run"},
              {{"SCPIPE_DATABASE_URL", "dbname=" + db.name() + "_missing"},
               {"SCPIPE_HTTP_LISTEN", "127.0.0.1:" + std::to_string(port)}}};
  ASSERT_TRUE(svc.wait_for_stderr("serving /metrics", 20s)) << svc.err();
  auto ready = wait_for(port, "/readyz", 503, "database unreachable");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("database unreachable"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find(db.name() + "_missing"), std::string::npos) << ready.body;
  EXPECT_EQ(http_get(port, "/healthz").status, 200) << "the process itself is up";
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
}

TEST(http_endpoint, metrics_count_the_events_and_pass_promtool) {
  auto tool = promtool();
  ASSERT_FALSE(tool.empty()) << "promtool is missing: scripts/setup unpacks it into var/tools";
  test_database db;
  db.migrate();
  int port = free_tcp_port();
  auto env = service_env(db, port);
  process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("\"message\":\"listening\"", 20s)) << svc.err();
  producer p{env["SCPIPE_BROKER_ENDPOINT"]};
  EXPECT_EQ(p.request("m1", events_payload(5)).body.status, reply_status::ok);
  EXPECT_EQ(p.request("m2", "[{\"user_id\": \"x\"}]").body.status, reply_status::rejected);
  auto metrics = http_get(port, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (auto line :
       {"scpipe_events_accepted_total 5", "scpipe_events_rejected_total 1",
        "scpipe_broker_requests_total 2", "scpipe_broker_replies_total{status=\"ok\"} 1",
        "scpipe_broker_replies_total{status=\"rejected\"} 1",
        "scpipe_writer_commit_seconds_count 2"})
    EXPECT_NE(metrics.body.find(std::string{line} + "\n"), std::string::npos)
        << line << " missing in\n"
        << metrics.body;
  scratch_files files;
  auto path = files.write("metrics.txt", metrics.body);
  auto check = run({"/bin/sh", "-c", tool + " check metrics < " + path});
  EXPECT_EQ(check.code, 0) << check.out << check.err;
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
}

TEST(http_endpoint, readyz_never_shows_the_database_password) {
  int port = free_tcp_port();
  process svc{{SCPIPE_BINARY, "run"},
              {{"SCPIPE_DATABASE_URL", "postgresql://postgres:Sup3r%Secret@127.0.0.1:1/x"},
               {"SCPIPE_HTTP_LISTEN", "127.0.0.1:" + std::to_string(port)}}};
  ASSERT_TRUE(svc.wait_for_stderr("serving /metrics", 20s)) << svc.err();
  auto ready = wait_for(port, "/readyz", 503, "database unreachable");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("database unreachable"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find("Secret"), std::string::npos) << ready.body;
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
  EXPECT_EQ(svc.err().find("Secret"), std::string::npos) << svc.err();
}

TEST(http_endpoint, readyz_is_503_until_the_database_is_migrated_and_the_log_says_so_at_once) {
  test_database db; // not migrated
  int port = free_tcp_port();
  auto env = service_env(db, port);
  process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("database not migrated: run scpipe migrate", 20s)) << svc.err();
  auto ready = wait_for(port, "/readyz", 503, "database not migrated");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("database not migrated: run scpipe migrate"), std::string::npos)
      << ready.body;
  // Migrated while it runs: a message's failed attempt reconnects, the check passes.
  db.migrate();
  producer p{env["SCPIPE_BROKER_ENDPOINT"]};
  EXPECT_EQ(p.request("after-migrate", events_payload(2)).body.status, reply_status::ok);
  EXPECT_EQ(wait_for(port, "/readyz", 200).status, 200);
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
}

TEST(http_endpoint,
     idle_writers_look_for_a_missing_migration_on_their_sessions_and_turn_ready_without_traffic) {
  // Migrated but for the last migration's row: one migration short, as before an upgrade's
  // scpipe migrate. The row is kept aside to be put back.
  test_database db;
  db.migrate();
  {
    auto conn = db.connect();
    hold_back_last_migration(conn);
  }
  int port = free_tcp_port();
  auto env = service_env(db, port);
  process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("database not migrated: run scpipe migrate", 20s)) << svc.err();
  EXPECT_EQ(wait_for(port, "/readyz", 503, "database not migrated").status, 503);
  auto writer_sessions = [&] {
    return db.scalar(
        "select string_agg(pid::text, ',' order by pid) from pg_stat_activity "
        "where datname = current_database() and application_name like 'scpipe db_writer %'");
  };
  auto before = writer_sessions();
  for (int i = 0; i < 200 && std::count(before.begin(), before.end(), ',') != 1; ++i) {
    std::this_thread::sleep_for(100ms);
    before = writer_sessions();
  }
  ASSERT_EQ(std::count(before.begin(), before.end(), ','), 1) << before; // the pool's 2 writers
  // Idle, they look again every 2 s; nothing is to happen meanwhile but the looks themselves.
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(writer_sessions(), before) << "the writers reconnected to look for the migration";
  EXPECT_EQ(wait_for(port, "/readyz", 503, "database not migrated").status, 503);
  // The migration "applied": ready within a look or two, with no message sent.
  {
    auto conn = db.connect();
    put_back_held_migration(conn);
  }
  EXPECT_EQ(wait_for(port, "/readyz", 200).status, 200);
  EXPECT_TRUE(svc.wait_for_stderr("database schema is up to date", 20s)) << svc.err();
  producer p{env["SCPIPE_BROKER_ENDPOINT"]};
  EXPECT_EQ(p.request("after-migrate", events_payload(2)).body.status, reply_status::ok);
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(20s), 0) << svc.err();
}
