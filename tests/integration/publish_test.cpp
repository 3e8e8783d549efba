// `scpipe publish` through the real binary against a broker written here that speaks
// docs/protocol.md on a ROUTER socket (a test peer, not the service): what is sent, resends,
// summaries and exit codes.

#include "support/process.hpp"
#include "support/service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

/// One request as the broker received it.
struct request {
  std::string id;
  std::string payload;
  size_t frames = 0;
  size_t nth = 0; ///< how many times this id has arrived, this one included
};

/// What the broker answers: a reply body, or nothing (no reply at all).
using responder = std::function<std::optional<std::string>(const request&)>;

std::string reply(std::string_view status, size_t accepted, size_t rejected,
                  const std::vector<std::pair<int, std::string>>& errors = {}) {
  boost::json::array list;
  for (const auto& [index, error] : errors)
    list.push_back(boost::json::object{{"index", index}, {"error", error}});
  return boost::json::serialize(boost::json::object{
      {"status", status}, {"accepted", accepted}, {"rejected", rejected}, {"errors", list}});
}

/// The number of events in a payload (a JSON array).
size_t events_in(const std::string& payload) {
  return boost::json::parse(payload).as_array().size();
}

/// Answers every request "ok", all events accepted.
std::optional<std::string> accept_all(const request& r) {
  return reply("ok", events_in(r.payload), 0);
}

/// A ROUTER on a free local port, served by a thread: records every request and answers as
/// the responder says. With `hold_replies`, replies are held until no request arrived for
/// 100 ms, so the test sees how many requests a producer keeps in flight.
class test_broker {
public:
  explicit test_broker(responder respond = accept_all, bool hold_replies = false)
      : respond_{std::move(respond)}, hold_{hold_replies} {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread{[this] { serve(); }};
  }

  ~test_broker() {
    stop_ = true;
    thread_.join();
  }

  const std::string& endpoint() const {
    return endpoint_;
  }

  std::vector<request> requests() const {
    std::lock_guard lock{mutex_};
    return requests_;
  }

  /// The most requests that were held unanswered at once (with hold_replies).
  size_t max_unanswered() const {
    return max_held_;
  }

private:
  void serve() {
    std::vector<std::vector<zmq::message_t>> held;
    auto last = std::chrono::steady_clock::now();
    while (!stop_) {
      zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, 10ms);
      std::vector<zmq::message_t> frames;
      if ((items[0].revents & ZMQ_POLLIN)
          && zmq::recv_multipart(router_, std::back_inserter(frames))) {
        last = std::chrono::steady_clock::now();
        request r;
        r.frames = frames.size() - 1; // the first frame is the peer's routing id
        r.id = frames.size() > 1 ? frames[1].to_string() : "";
        r.payload = frames.size() > 2 ? frames[2].to_string() : "";
        {
          std::lock_guard lock{mutex_};
          r.nth = ++seen_[r.id];
          requests_.push_back(r);
        }
        if (auto body = respond_(r)) {
          std::vector<zmq::message_t> out;
          out.emplace_back(frames[0].to_string());
          out.emplace_back(r.id);
          out.emplace_back(*body);
          held.push_back(std::move(out));
          max_held_ = std::max(max_held_.load(), held.size());
        }
      }
      if (!held.empty() && (!hold_ || std::chrono::steady_clock::now() - last > 100ms)) {
        for (auto& out : held)
          zmq::send_multipart(router_, out);
        held.clear();
      }
    }
  }

  responder respond_;
  bool hold_;
  zmq::context_t context_;
  zmq::socket_t router_{context_, zmq::socket_type::router};
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<request> requests_;
  std::map<std::string, size_t> seen_;
  std::atomic<size_t> max_held_{0};
};

class publish : public ::testing::Test {
protected:
  std::string write(const std::string& name, const std::string& text) {
    return files_.write(name, text);
  }

  /// One NDJSON line of a valid event of user `id`.
  static std::string ndjson_line(size_t id) {
    return R"({"user_id": )" + std::to_string(id)
           + R"(, "event_type": "login", "event_time": "2019-05-13T03:11:04"})" + "\n";
  }

  /// NDJSON with `n` events, user_id 1..n.
  std::string ndjson(const std::string& name, size_t n) {
    std::string text;
    for (size_t i = 1; i <= n; ++i)
      text += ndjson_line(i);
    return write(name, text);
  }

  std::vector<std::string> command(const test_broker& broker, std::vector<std::string> args) {
    args.insert(args.begin(), {SCPIPE_BINARY, "publish"});
    env_ = {{"SCPIPE_BROKER_ENDPOINT", broker.endpoint()}};
    return args;
  }

  test::run_result scpipe(const test_broker& broker, std::vector<std::string> args) {
    auto argv = command(broker, std::move(args));
    return test::run(argv, env_, 10s);
  }

  std::map<std::string, std::string> env_;
  test::scratch_files files_;
};

std::string clean_summary(size_t events, size_t messages) {
  return "published " + std::to_string(events) + " events in " + std::to_string(messages)
         + " messages: accepted " + std::to_string(events)
         + ", rejected 0, duplicate messages 0 (events 0), resent 0\n";
}

} // namespace

TEST_F(publish, events_go_in_messages_of_batch_size_under_unique_ids) {
  test_broker broker;
  auto path = ndjson("events.ndjson", 25);
  auto r = scpipe(broker, {"--batch", "10", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, clean_summary(25, 3));
  auto reqs = broker.requests();
  ASSERT_EQ(reqs.size(), 3u);
  std::set<std::string> ids;
  std::set<int64_t> users;
  std::vector<size_t> sizes;
  for (const auto& q : reqs) {
    EXPECT_EQ(q.frames, 2u);
    EXPECT_GE(q.id.size(), 1u);
    EXPECT_LE(q.id.size(), 255u);
    ids.insert(q.id);
    auto events = boost::json::parse(q.payload).as_array();
    sizes.push_back(events.size());
    for (const auto& e : events)
      users.insert(e.at("user_id").as_int64());
  }
  EXPECT_EQ(ids.size(), 3u) << "ids are unique";
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{5, 10, 10}));
  EXPECT_EQ(users.size(), 25u) << "every event sent once";
}

TEST_F(publish, several_endpoints_share_the_messages_and_one_that_is_down_gets_none) {
  test_broker a;
  test_broker b;
  auto down = "tcp://127.0.0.1:" + std::to_string(test::free_tcp_port());
  auto path = ndjson("events.ndjson", 200);
  auto r = test::run({SCPIPE_BINARY, "publish", "--batch=1", "--timeout-ms=2000",
                      "--endpoint=" + a.endpoint(), "--endpoint=" + down,
                      "--endpoint=" + b.endpoint(), path},
                     {}, 20s);
  ASSERT_EQ(r.code, 0) << r.err;
  // Nothing was queued for the endpoint that is down, to time out and be resent.
  EXPECT_EQ(r.out, clean_summary(200, 200));
  auto to_a = a.requests();
  auto to_b = b.requests();
  EXPECT_GT(to_a.size(), 0u);
  EXPECT_GT(to_b.size(), 0u);
  std::set<std::string> ids;
  for (const auto* reqs : {&to_a, &to_b})
    for (const auto& q : *reqs)
      ids.insert(q.id);
  EXPECT_EQ(to_a.size() + to_b.size(), 200u);
  EXPECT_EQ(ids.size(), 200u) << "each message went to one of them, once";
}

TEST_F(publish, an_endpoint_it_cannot_use_is_exit_2_naming_it) {
  auto path = ndjson("events.ndjson", 1);
  auto r = test::run(
      {SCPIPE_BINARY, "publish", "--endpoint=tcp://127.0.0.1:1", "--endpoint=nonsense://x", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(test::command_messages(r.err).find("--endpoint \"nonsense://x\": cannot connect"),
            std::string::npos)
      << r.err;
  auto empty = test::run({SCPIPE_BINARY, "publish", "--endpoint=", path});
  EXPECT_EQ(empty.code, 2);
  EXPECT_NE(test::command_messages(empty.err).find("--endpoint: must not be empty"),
            std::string::npos)
      << empty.err;
}

TEST_F(publish, json_array_events_are_sent_exactly_as_they_came) {
  test_broker broker;
  auto path = write("events.json", "[\n  {\"user_id\": \"7\",  \"event_type\": \"login\"},\n"
                                   "  {\"user_id\": 8, \"x\": {\"nested\": [1, 2]}}\n]\n");
  auto r = scpipe(broker, {path});
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = broker.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].payload, "[{\"user_id\": \"7\",  \"event_type\": \"login\"},"
                             "{\"user_id\": 8, \"x\": {\"nested\": [1, 2]}}]");
}

TEST_F(publish, csv_rows_become_objects_of_their_non_empty_fields) {
  test_broker broker;
  auto path = write("events.CSV", "user_id,platform,event_time,event_type,first_event\r\n"
                                  "7,ios,5/13/2019 3:11:04,login,FALSE\r\n"
                                  "8,\"web, \"\"beta\"\"\",5/13/2019 13:00:00,purchase,\r\n");
  auto r = scpipe(broker, {path});
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = broker.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].payload,
            R"([{"user_id":"7","platform":"ios","event_time":"5/13/2019 3:11:04",)"
            R"("event_type":"login","first_event":"FALSE"},)"
            R"({"user_id":"8","platform":"web, \"beta\"","event_time":"5/13/2019 13:00:00",)"
            R"("event_type":"purchase"}])");
}

TEST_F(publish, unanswered_message_is_resent_with_the_same_id_and_payload) {
  test_broker broker{[](const request& q) -> std::optional<std::string> {
    if (q.nth == 1)
      return std::nullopt; // as if the reply were lost
    return accept_all(q);
  }};
  auto path = ndjson("events.ndjson", 3);
  auto r = scpipe(broker, {"--timeout-ms=300", path});
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = broker.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].id, reqs[0].id);
  EXPECT_EQ(reqs[1].payload, reqs[0].payload);
  EXPECT_EQ(r.out, "published 3 events in 1 messages: accepted 3, rejected 0, duplicate "
                   "messages 0 (events 0), resent 1\n");
}

TEST_F(publish, retry_reply_is_resent_with_the_same_id) {
  test_broker broker{[](const request& q) -> std::optional<std::string> {
    if (q.nth <= 2)
      return reply("retry", 0, 0);
    return accept_all(q);
  }};
  auto path = ndjson("events.ndjson", 2);
  auto r = scpipe(broker, {path});
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = broker.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[2].id, reqs[0].id);
  EXPECT_EQ(reqs[2].payload, reqs[0].payload);
  EXPECT_NE(r.out.find("resent 2\n"), std::string::npos) << r.out;
}

TEST_F(publish, rejection_reasons_are_summarised_with_file_and_line_and_exit_is_1) {
  test_broker broker{[](const request& q) -> std::optional<std::string> {
    auto n = events_in(q.payload);
    return reply("partial", n - 2, 2,
                 {{1, "user_id: must be an integer"}, {2, "user_id: must be an integer"}});
  }};
  auto path = ndjson("events.ndjson", 4);
  auto r = scpipe(broker, {path});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out, "published 4 events in 1 messages: accepted 2, rejected 2, duplicate "
                   "messages 0 (events 0), resent 0\n"
                   "rejected events by reason:\n"
                   "  2  user_id: must be an integer (first at "
                       + path + ":2)\n");
}

TEST_F(publish, rejected_message_counts_all_its_events_and_exit_is_1) {
  test_broker broker{[](const request&) -> std::optional<std::string> {
    return reply("rejected", 0, 0, {{-1, "payload larger than broker.max_message_bytes"}});
  }};
  auto path = ndjson("events.ndjson", 3);
  auto r = scpipe(broker, {path});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("accepted 0, rejected 3,"), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("  3  payload larger than broker.max_message_bytes (first at " + path + ":1)\n"),
      std::string::npos)
      << r.out;
}

TEST_F(publish, duplicate_replies_are_counted_and_exit_is_0) {
  test_broker broker{[](const request& q) -> std::optional<std::string> {
    return reply("duplicate", events_in(q.payload), 0);
  }};
  auto path = ndjson("events.ndjson", 5);
  auto r = scpipe(broker, {"--batch=2", path});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "published 5 events in 3 messages: accepted 5, rejected 0, duplicate "
                   "messages 3 (events 5), resent 0\n");
}

TEST_F(publish, id_prefix_gives_the_same_ids_on_every_run) {
  auto a = ndjson("a.ndjson", 2);
  auto b = ndjson("b.ndjson", 1);
  std::vector<std::vector<std::string>> runs;
  for (int i = 0; i < 2; ++i) {
    test_broker broker;
    auto r = scpipe(broker, {"--id-prefix=nightly-2019.05", "--batch=1", a, b});
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<std::string> ids;
    for (const auto& q : broker.requests())
      ids.push_back(q.id);
    std::sort(ids.begin(), ids.end());
    runs.push_back(ids);
  }
  EXPECT_EQ(runs[0], (std::vector<std::string>{"nightly-2019.05-1-1", "nightly-2019.05-1-2",
                                               "nightly-2019.05-2-1"}));
  EXPECT_EQ(runs[1], runs[0]);
}

TEST_F(publish, default_ids_are_new_on_every_run) {
  auto path = ndjson("events.ndjson", 1);
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    test_broker broker;
    ASSERT_EQ(scpipe(broker, {path}).code, 0);
    ASSERT_EQ(broker.requests().size(), 1u);
    ids.push_back(broker.requests()[0].id);
  }
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_EQ(ids[0].size(), 32u + 4u) << ids[0] << " (32 hex digits, then -1-1)";
}

TEST_F(publish, window_bounds_the_messages_in_flight) {
  test_broker broker{accept_all, /*hold_replies=*/true};
  auto path = ndjson("events.ndjson", 10);
  auto r = scpipe(broker, {"--batch=1", "--window=3", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(broker.requests().size(), 10u);
  EXPECT_EQ(broker.max_unanswered(), 3u);
  EXPECT_EQ(r.out, clean_summary(10, 10));
}

TEST_F(publish, syntax_error_names_file_and_line_and_waits_for_the_replies_in_flight) {
  test_broker broker;
  auto good = ndjson("good.ndjson", 2);
  auto bad = write("bad.json", "[{\"user_id\": 2},\n{\"user_id\": 3},\n{\"user_id\": 4,}]");
  auto r = scpipe(broker, {"--batch=1", good, bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(
      test::command_messages(r.err).find("scpipe publish: " + bad + ":3: record 3: invalid JSON"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(broker.requests().size(), 2u) << "the good file's messages, nothing of the bad one";
  EXPECT_EQ(r.out, clean_summary(2, 2)) << "their replies were awaited";
}

TEST_F(publish, csv_without_the_event_columns_names_file_and_line) {
  test_broker broker;
  auto path = write("events.csv", "user_id,event_type\n7,login\n");
  auto r = scpipe(broker, {path});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path + ":1: the header lacks event_time (expected a header"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(broker.requests().empty());
}

TEST_F(publish, missing_file_fails_before_anything_is_sent) {
  test_broker broker;
  auto good = ndjson("good.ndjson", 2);
  auto r = scpipe(broker, {good, "/nonexistent/events.json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(
      test::command_messages(r.err).find("scpipe publish: /nonexistent/events.json: cannot open"),
      std::string::npos)
      << r.err;
  EXPECT_TRUE(broker.requests().empty());
}

TEST_F(publish, message_still_unanswered_after_max_attempts_fails_with_exit_1) {
  test_broker broker{[](const request&) -> std::optional<std::string> { return std::nullopt; }};
  auto path = ndjson("events.ndjson", 2);
  auto r = scpipe(broker, {"--timeout-ms=100", "--max-attempts=2", "--id-prefix=p", path});
  EXPECT_EQ(r.code, 1);
  auto reqs = broker.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].id, "p-1-1");
  EXPECT_EQ(reqs[1].id, "p-1-1");
  EXPECT_NE(r.err.find("1 messages (2 events) got no final reply"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 events: no reply after 2 attempts (first at " + path + ":1)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--id-prefix=p"), std::string::npos) << "how to re-run safely: " << r.err;
}

TEST_F(publish, sigint_stops_at_once_reporting_what_is_unanswered) {
  test_broker broker{[](const request&) -> std::optional<std::string> { return std::nullopt; }};
  auto path = ndjson("events.ndjson", 3);
  test::process p{command(broker, {"--batch=2", path}), env_};
  ASSERT_TRUE(test::eventually([&] { return broker.requests().size() >= 2; }, 5s));
  ASSERT_EQ(broker.requests().size(), 2u);
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(3s), std::optional<int>{1});
  EXPECT_NE(p.err().find("interrupted: 2 messages (3 events) were sent and not answered"),
            std::string::npos)
      << p.err();
  EXPECT_NE(p.out().find("published 3 events in 2 messages: accepted 0"), std::string::npos)
      << p.out();
}

TEST_F(publish, bad_flag_values_exit_2_naming_the_flag) {
  test_broker broker;
  auto path = ndjson("events.ndjson", 1);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--batch=0", path}, "--batch: must be an integer in [1, 100000], got \"0\""},
      {{"--window", "many", path}, "--window: must be an integer in [1, 10000], got \"many\""},
      {{"--timeout-ms=-5", path}, "--timeout-ms: must be an integer in [1, 86400000]"},
      {{"--max-attempts=1.5", path}, "--max-attempts: must be an integer in [0, 1000000]"},
      {{"--id-prefix=two words", path}, "--id-prefix: must be printable ASCII"},
      {{"--id-prefix=" + std::string(214, 'x'), path}, "--id-prefix: must be at most 213 bytes"},
      {{path, "--batch"}, "--batch needs a value"},
      {{"--bogus=1", path}, "unknown option '--bogus' for publish"},
  };
  for (const auto& [args, message] : cases) {
    auto r = scpipe(broker, args);
    EXPECT_EQ(r.code, 2) << message;
    EXPECT_NE(test::command_messages(r.err).find(message), std::string::npos) << r.err;
  }
  EXPECT_TRUE(broker.requests().empty());
  auto help = test::run({SCPIPE_BINARY, "publish", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const auto* flag :
       {"--batch=N", "--window=N", "--timeout-ms=N", "--max-attempts=N", "--id-prefix=P"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
}

TEST_F(publish, nothing_at_the_endpoint_is_said_at_the_first_timeout_naming_it) {
  auto endpoint = "tcp://127.0.0.1:" + std::to_string(test::free_tcp_port());
  auto path = ndjson("events.ndjson", 3);
  auto r = test::run({SCPIPE_BINARY, "publish", "--timeout-ms=300", "--max-attempts=2", path},
                     {{"SCPIPE_BROKER_ENDPOINT", endpoint}}, 10s);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("nothing answers at " + endpoint
                       + " within --timeout-ms (300 ms): no connection to it could be made"),
            std::string::npos)
      << r.err;
}

TEST_F(publish, standard_error_has_one_format_json_off_a_terminal_and_text_when_asked) {
  // Log lines (the warning that nothing answers) and the command's own messages (what got no
  // reply, with indented detail lines) share stderr: one format for all of them.
  auto endpoint = "tcp://127.0.0.1:" + std::to_string(test::free_tcp_port());
  auto path = ndjson("events.ndjson", 3);
  std::vector<std::string> argv = {SCPIPE_BINARY, "publish", "--timeout-ms=200", "--max-attempts=2",
                                   path};
  auto json = test::run(argv, {{"SCPIPE_BROKER_ENDPOINT", endpoint}}, 10s);
  EXPECT_EQ(json.code, 1) << json.err;
  auto lines = test::lines(json.err);
  ASSERT_GE(lines.size(), 3u) << json.err;
  for (const auto& line : lines) {
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    EXPECT_TRUE(v.as_object().contains("level")) << line;
    EXPECT_EQ(v.at("component").as_string(), "publish") << line;
  }
  EXPECT_NE(test::command_messages(json.err).find("scpipe publish: 1 messages (3 events) got no"),
            std::string::npos)
      << json.err;

  auto text =
      test::run(argv, {{"SCPIPE_BROKER_ENDPOINT", endpoint}, {"SCPIPE_LOG_FORMAT", "text"}}, 10s);
  EXPECT_EQ(text.code, 1) << text.err;
  for (const auto& line : test::lines(text.err))
    EXPECT_NE(line.front(), '{') << text.err;
  EXPECT_NE(text.err.find("\nscpipe publish: nothing answers at " + endpoint), std::string::npos)
      << text.err;
  EXPECT_NE(text.err.find(" warn  publish: no reply within --timeout-ms; resent with the same ids "
                          "endpoint="
                          + endpoint + " connected=false"),
            std::string::npos)
      << text.err;
  EXPECT_NE(text.err.find("\nscpipe publish: 1 messages (3 events) got no"), std::string::npos)
      << text.err;
}

TEST_F(publish, a_connected_peer_that_never_replies_is_told_apart_from_no_connection) {
  test_broker silent{[](const request&) -> std::optional<std::string> { return std::nullopt; }};
  auto path = ndjson("events.ndjson", 3);
  auto r = scpipe(silent, {"--timeout-ms=300", "--max-attempts=2", path});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("nothing answers at " + silent.endpoint()
                       + " within --timeout-ms (300 ms): the connection is up, but nothing "
                         "replies"),
            std::string::npos)
      << r.err;
}

TEST_F(publish, an_event_larger_than_the_message_limit_is_refused_here_not_sent) {
  test_broker broker;
  auto big = R"({"user_id": 1, "event_type": "login", "event_time": "2019-05-13T03:11:04", )"
             R"("platform": ")"
             + std::string(2000, 'x') + "\"}";
  auto path = write("events.ndjson", ndjson_line(2) + big + "\n" + ndjson_line(3));
  auto argv = command(broker, {path});
  env_["SCPIPE_BROKER_MAX_MESSAGE_BYTES"] = "1024";
  auto r = test::run(argv, env_, 10s);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.out.find("accepted 2, rejected 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not sent: the event alone makes a message of 2"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("more than broker.max_message_bytes (1024) (first at " + path + ":2)"),
            std::string::npos)
      << r.out;
  for (const auto& q : broker.requests())
    EXPECT_LE(q.payload.size(), 1024u);
}
