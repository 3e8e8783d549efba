// The live feed (broker.publish_endpoint, docs/protocol.md "The live feed"): a ZeroMQ SUB socket
// gets each committed batch's written events once, as stored, with message id and index.

#include "core/hex.hpp"
#include "support/database.hpp"
#include "support/process.hpp"
#include "support/producer.hpp"
#include "support/service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <map>
#include <set>

using namespace std::chrono_literals;
using namespace scpipe;
using namespace scpipe::test;

namespace {

/// A subscriber to the feed at `endpoint`: every event line received, by (message id, index).
class subscriber {
public:
  explicit subscriber(const std::string& endpoint) {
    socket_.set(zmq::sockopt::subscribe, "events");
    socket_.connect(endpoint);
  }

  /// Receives until `events` lines have come or nothing came for `quiet`.
  void receive(size_t events, std::chrono::milliseconds quiet) {
    while (lines.size() < events) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, quiet) == 0)
        return;
      std::vector<zmq::message_t> frames;
      ASSERT_TRUE(zmq::recv_multipart(socket_, std::back_inserter(frames)));
      ASSERT_EQ(frames.size(), 3u);
      EXPECT_EQ(frames[0].to_string(), "events");
      batches.push_back(std::stoull(frames[1].to_string()));
      auto ndjson = frames[2].to_string();
      for (size_t start = 0; start < ndjson.size();) {
        auto nl = ndjson.find('\n', start);
        ASSERT_NE(nl, std::string::npos) << "every line ends with a newline";
        auto event = boost::json::parse(ndjson.substr(start, nl - start)).as_object();
        auto key = std::pair{std::string{event.at("message_id").as_string()},
                             event.at("index").as_int64()};
        ++seen[key];
        lines.push_back(std::move(event));
        start = nl + 1;
      }
    }
  }

  std::vector<boost::json::object> lines;
  std::map<std::pair<std::string, int64_t>, int> seen;
  std::vector<uint64_t> batches;

private:
  zmq::context_t ctx_{1};
  zmq::socket_t socket_{ctx_, zmq::socket_type::sub};
};

} // namespace

TEST(live_feed, a_subscriber_gets_every_written_event_once_as_stored_with_message_id_and_index) {
  test_database db;
  db.migrate();
  auto feed = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
  running_service s{db, {{"SCPIPE_BROKER_PUBLISH_ENDPOINT", feed}}};
  subscriber sub{feed};
  // A subscription takes a moment to reach the PUB socket (events published before are not for
  // this subscriber): probe until one arrives.
  producer p{s.endpoint};
  for (int k = 0; k < 100 && sub.lines.empty(); ++k) {
    ASSERT_EQ(p.request("probe" + std::to_string(k), R"({"user_id": 999999, "event_type": "login",
                                  "event_time": "2019-05-13T03:11:04Z"})")
                  .body.status,
              reply_status::ok);
    sub.receive(1, 100ms);
  }
  ASSERT_EQ(sub.lines.size(), 1u) << "no probe event was published";
  sub.lines.clear();
  sub.seen.clear();
  sub.batches.clear();

  // 300 messages of 3 events, every tenth with a bad second event; then every message resent.
  std::vector<std::pair<std::string, std::string>> messages;
  for (int m = 0; m < 300; ++m) {
    std::string second = m % 10 == 0 ? R"({"user_id": "x", "event_type": "login"})"
                                     : R"({"user_id": 2, "platform": "tab\there \"q\"",
                                           "event_type": "view", "event_time": "2019-05-13T03:11:04",
                                           "first_event": true})";
    messages.emplace_back("m" + std::to_string(m),
                          R"([{"user_id": )" + std::to_string(m) + R"(, "event_type": "login",
                                "event_time": "2019-05-13T03:11:04+02:00"},)"
                              + second + R"(, {"user_id": 3, "event_type": "logout",
                                "event_time": "5/13/2019 3:11:04"}])");
  }
  auto first = p.publish(messages, 64, 10s, 60s);
  ASSERT_EQ(first.unanswered, 0u);
  auto again = p.publish(messages, 64, 10s, 60s);
  EXPECT_EQ(again.duplicate, messages.size()) << "the resends are duplicates";

  const size_t written = 300 * 3 - 30;
  sub.receive(written + 1, 2s); // one more than expected: nothing more may come
  EXPECT_EQ(sub.lines.size(), written);
  EXPECT_EQ(std::stoul(db.scalar("select count(*) from sc.sc_user_event where user_id <> 999999")),
            written);
  for (const auto& [key, n] : sub.seen)
    EXPECT_EQ(n, 1) << key.first << " index " << key.second << " published " << n << " times";
  for (int m = 0; m < 300; m += 10)
    EXPECT_EQ(sub.seen.count({to_hex("m" + std::to_string(m)), 1}), 0u)
        << "a refused event was published";
  EXPECT_EQ(sub.seen.count({to_hex("m7"), 2}), 1u);
  for (size_t i = 1; i < sub.batches.size(); ++i)
    EXPECT_EQ(sub.batches[i], sub.batches[i - 1] + 1) << "batch numbers have no gap";

  // The stored values: a time's zone as the producer gave it; a text with a tab and a quote.
  for (const auto& e : sub.lines)
    if (e.at("message_id").as_string() == to_hex("m7")) {
      auto index = e.at("index").as_int64();
      if (index == 0) {
        EXPECT_EQ(e.at("user_id").as_int64(), 7);
        EXPECT_EQ(e.at("event_ts").as_string(), "2019-05-13 03:11:04+02:00");
        EXPECT_TRUE(e.at("platform").is_null());
        EXPECT_EQ(e.at("first_event").as_bool(), false);
      } else if (index == 1) {
        EXPECT_EQ(e.at("platform").as_string(), "tab\there \"q\"");
        EXPECT_EQ(e.at("event_type").as_string(), "view");
        EXPECT_EQ(e.at("first_event").as_bool(), true);
      }
    }
  EXPECT_EQ(
      s.metric("scpipe_feed_events_published_total"),
      static_cast<double>(
          written
          + std::stoul(db.scalar("select count(*) from sc.sc_user_event where user_id = 999999"))));
  EXPECT_EQ(s.metric("scpipe_feed_batches_dropped_total"), 0);
}
