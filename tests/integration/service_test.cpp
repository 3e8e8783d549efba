// The supervisor end to end, in real processes: `scpipe run` and a service with test-only
// children (tests/support/test_service.cpp) that shares run_service with it.

#include "support/process.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <csignal>

using namespace scpipe;
using namespace std::chrono_literals;
using test::process;

namespace {

/// The log lines (JSON objects) of a process's stderr with the given message.
std::vector<boost::json::object> log_lines(const std::string& err, const std::string& message) {
  std::vector<boost::json::object> out;
  for (const auto& line : test::lines(err)) {
    boost::json::error_code ec;
    auto v = boost::json::parse(line, ec);
    EXPECT_FALSE(ec) << "not a JSON log line: " << line;
    if (!ec && v.is_object() && v.at("message") == boost::json::string_view{message})
      out.push_back(v.as_object());
  }
  return out;
}

std::vector<std::string> children_in(const std::vector<boost::json::object>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines)
    out.emplace_back(l.at("fields").at("child").as_string());
  return out;
}

} // namespace

TEST(service, sigterm_stops_children_in_reverse_order_and_exits_0) {
  process svc{{SCPIPE_TEST_SERVICE, "--drain-ms", "100"}};
  ASSERT_TRUE(svc.wait_for_stderr("\"child\":\"beta\"", 10s)) << svc.err();
  svc.signal(SIGTERM);
  ASSERT_EQ(svc.wait(10s), 0) << svc.err();
  EXPECT_EQ(children_in(log_lines(svc.err(), "child started")),
            (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(children_in(log_lines(svc.err(), "child stopped")),
            (std::vector<std::string>{"beta", "alpha"}));
  EXPECT_EQ(children_in(log_lines(svc.err(), "drained")),
            (std::vector<std::string>{"beta", "alpha"}));
  EXPECT_EQ(log_lines(svc.err(), "stopped").size(), 1u);
}

TEST(service, sigint_stops_it_like_sigterm) {
  process svc{{SCPIPE_TEST_SERVICE}};
  ASSERT_TRUE(svc.wait_for_stderr("\"child\":\"beta\"", 10s)) << svc.err();
  svc.signal(SIGINT);
  EXPECT_EQ(svc.wait(10s), 0) << svc.err();
}

TEST(service, failing_child_is_restarted_with_growing_delays_then_the_process_exits_1) {
  process svc{{SCPIPE_TEST_SERVICE, "--flaky-after-ms", "20"},
              {{"SCPIPE_SUPERVISOR_RESTART_BACKOFF_INITIAL_MS", "50"},
               {"SCPIPE_SUPERVISOR_RESTART_BACKOFF_MAX_MS", "300"},
               {"SCPIPE_SUPERVISOR_MAX_RESTARTS", "5"},
               {"SCPIPE_SUPERVISOR_RESTART_WINDOW_S", "60"}}};
  auto code = svc.wait(30s);
  ASSERT_TRUE(code) << "still running:\n" << svc.err();
  EXPECT_EQ(*code, 1) << svc.err();
  std::vector<int64_t> delays;
  for (const auto& line : log_lines(svc.err(), "child failed; restarting")) {
    EXPECT_EQ(line.at("fields").at("child").as_string(), "flaky");
    delays.push_back(line.at("fields").at("delay_ms").as_int64());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{50, 100, 200, 300, 300}));
  EXPECT_EQ(log_lines(svc.err(), "restart intensity exceeded; giving up").size(), 1u);
  // The others are still stopped in order before the process exits.
  EXPECT_EQ(children_in(log_lines(svc.err(), "child stopped")),
            (std::vector<std::string>{"beta", "alpha"}));
}

TEST(service, child_that_outlives_the_stop_timeout_is_killed_and_the_exit_is_1) {
  process svc{{SCPIPE_TEST_SERVICE, "--drain-ms", "60000"},
              {{"SCPIPE_SUPERVISOR_STOP_TIMEOUT_S", "1"}}};
  ASSERT_TRUE(svc.wait_for_stderr("\"child\":\"beta\"", 10s)) << svc.err();
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(15s), 1) << svc.err();
  EXPECT_EQ(children_in(log_lines(svc.err(), "child did not stop in time; killing it")),
            (std::vector<std::string>{"beta", "alpha"}));
}

TEST(service, second_signal_exits_at_once) {
  process svc{{SCPIPE_TEST_SERVICE, "--drain-ms", "60000"}};
  ASSERT_TRUE(svc.wait_for_stderr("\"child\":\"beta\"", 10s)) << svc.err();
  svc.signal(SIGTERM);
  ASSERT_TRUE(svc.wait_for_stderr("draining", 10s)) << svc.err();
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(5s), 1) << svc.err();
}

TEST(service, scpipe_run_stops_cleanly_on_sigterm) {
  process svc{{SCPIPE_BINARY, "run"}};
  ASSERT_TRUE(svc.wait_for_stderr("\"component\":\"supervisor\"", 10s)) << svc.err();
  svc.signal(SIGTERM);
  EXPECT_EQ(svc.wait(10s), 0) << svc.err();
  EXPECT_EQ(log_lines(svc.err(), "stopped").size(), 1u) << svc.err();
}
