// The event stream end to end: the real `scpipe run` binary, a real ZeroMQ producer, a real
// PostgreSQL (docs/protocol.md, docs/schema.md).

#include "core/hex.hpp"
#include "core/protocol.hpp"
#include "support/database.hpp"
#include "support/process.hpp"
#include "support/producer.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <unistd.h>

#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

using namespace std::chrono_literals;
using namespace scpipe;
using namespace scpipe::test;

namespace {

class event_stream : public ::testing::Test {
protected:
  void SetUp() override {
    db.migrate();
  }

  int64_t count(const std::string& sql) {
    return std::stoll(db.scalar(sql));
  }

  test_database db;
};

} // namespace

TEST_F(event_stream, valid_events_are_committed_with_their_fields_and_answered_ok) {
  running_service s{db};
  producer p{s.endpoint};
  auto r = p.request(
      "m-1",
      R"([{"user_id": 7, "event_type": "login", "event_time": "2019-05-13T03:11:04Z", "platform": "ios", "first_event": true},
          {"user_id": "8", "event_type": "licence_bought", "event_time": "5/13/2019 3:11:04", "first_event": "FALSE"},
          {"user_id": 9, "event_type": "login", "event_time": "2019-05-13T13:11:04.25+10:00", "extra": [1, 2]}])");
  EXPECT_EQ(r.body.status, reply_status::ok) << r.text;
  EXPECT_EQ(r.body.accepted, 3u);
  EXPECT_EQ(r.body.rejected, 0u);
  EXPECT_EQ(
      db.scalar("select string_agg(format('%s|%s|%s|%s|%s', user_id, coalesce(platform, 'NULL'),"
                " event_ts, event_type, first_event), ';' order by user_id) from sc.sc_user_event"),
      "7|ios|2019-05-13 03:11:04+00|login|t;"
      "8|NULL|2019-05-13 03:11:04+00|licence_bought|f;"
      "9|NULL|2019-05-13 03:11:04.25+00|login|f");
  EXPECT_EQ(db.scalar("select accepted || '/' || rejected from scpipe.event_ledger "
                      "where message_id = 'm-1'::bytea"),
            "3/0");
}

TEST_F(event_stream, resent_id_is_answered_duplicate_without_new_rows) {
  running_service s{db};
  producer p{s.endpoint};
  auto payload = events_payload(5);
  EXPECT_EQ(p.request("dup-1", payload).body.status, reply_status::ok);
  auto again = p.request("dup-1", payload);
  EXPECT_EQ(again.body.status, reply_status::duplicate) << again.text;
  EXPECT_EQ(again.body.accepted, 5u) << "a duplicate reports the first time's counts";
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 5);
}

TEST_F(event_stream, reused_id_with_another_payload_is_refused_and_nothing_of_it_written) {
  running_service s{db};
  producer p{s.endpoint};
  EXPECT_EQ(p.request("export-1", events_payload(1)).body.status, reply_status::ok);
  auto reused = p.request("export-1", events_payload(3, 100));
  EXPECT_EQ(reused.body.status, reply_status::rejected) << reused.text;
  EXPECT_EQ(reused.body.reason, "id_reused") << reused.text;
  EXPECT_EQ(reused.body.accepted, 0u);
  EXPECT_EQ(reused.body.rejected, 3u);
  ASSERT_EQ(reused.body.errors.size(), 1u) << reused.text;
  EXPECT_EQ(reused.body.errors[0].index, -1);
  EXPECT_EQ(reused.body.errors[0].reason.rfind("message id reused: it was committed before (", 0),
            0u)
      << reused.text;
  // The first payload again is still a resend; nothing of the second was stored or
  // dead-lettered (a replay must not turn it into events).
  EXPECT_EQ(p.request("export-1", events_payload(1)).body.status, reply_status::duplicate);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 1);
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event"), 0);
  // Ids committed before the ledger kept digests are answered duplicate, as before.
  {
    auto c = db.connect();
    pqxx::nontransaction{c}.exec0("update scpipe.event_ledger set payload_digest = null");
  }
  EXPECT_EQ(p.request("export-1", events_payload(3, 100)).body.status, reply_status::duplicate);
}

TEST_F(event_stream,
       bad_events_are_dead_lettered_with_reasons_naming_the_field_and_the_rest_committed) {
  running_service s{db};
  producer p{s.endpoint};
  std::string bad1 =
      R"({"user_id": "x7", "event_type": "login", "event_time": "2019-05-13T03:11:04"})";
  std::string bad2 = R"({"user_id": 1, "event_type": "login", "event_time": "2/30/2019 3:11:04"})";
  std::string bad3 =
      R"({"user_id": 99999999999, "event_type": "", "event_time": "2019-05-13T03:11:04"})";
  auto r = p.request("mixed", "[" + events_payload(2).substr(1, events_payload(2).size() - 2)
                                  + ",\n  " + bad1 + ", " + bad2 + "," + bad3 + "]");
  EXPECT_EQ(r.body.status, reply_status::partial) << r.text;
  EXPECT_EQ(r.body.accepted, 2u);
  EXPECT_EQ(r.body.rejected, 3u);
  ASSERT_EQ(r.body.errors.size(), 3u) << r.text;
  EXPECT_EQ(r.body.errors[0].index, 2);
  EXPECT_EQ(r.body.errors[0].reason, R"(user_id: "x7" is not a string of digits)");
  EXPECT_EQ(r.body.errors[1].index, 3);
  EXPECT_EQ(r.body.errors[1].reason,
            R"(event_time: "2/30/2019 3:11:04": day 30 does not exist in 2019-02)");
  EXPECT_EQ(r.body.errors[2].reason,
            "user_id: 99999999999 does not fit a 32-bit integer; event_type: must not be empty");
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 2);
  // Dead letters keep each event verbatim, with its index, reason and message id.
  EXPECT_EQ(
      db.scalar("select string_agg(event_index || '=' || raw_event, '|' order by event_index) "
                "from scpipe.rejected_event where message_id = 'mixed'::bytea"),
      "2=" + bad1 + "|3=" + bad2 + "|4=" + bad3);
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event where received_at > now() - interval "
                  "'1 minute'"),
            3);
}

TEST_F(event_stream, payload_that_is_not_json_is_rejected_whole_and_dead_lettered) {
  running_service s{db};
  producer p{s.endpoint};
  auto r = p.request("garbage", "this is not json");
  EXPECT_EQ(r.body.status, reply_status::rejected) << r.text;
  ASSERT_EQ(r.body.errors.size(), 1u);
  EXPECT_EQ(r.body.errors[0].index, -1);
  EXPECT_NE(r.body.errors[0].reason.find("payload is not JSON"), std::string::npos);
  EXPECT_EQ(db.scalar("select raw_event from scpipe.rejected_event where event_index = -1"),
            "this is not json");
  // Invalid UTF-8 cannot be text: it is kept as bytes.
  auto bad_utf8 = std::string{"[{\"user_id\": 1, \"event_type\": \"\xff\"}]"};
  EXPECT_EQ(p.request("bytes", bad_utf8).body.status, reply_status::rejected);
  EXPECT_EQ(
      db.scalar("select raw_event is null and raw_bytes = convert_to('[{\"user_id\": 1, "
                "\"event_type\": \"', 'UTF8') || '\\xff'::bytea || convert_to('\"}]', 'UTF8') "
                "from scpipe.rejected_event where message_id = 'bytes'::bytea"),
      "t");
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 0);
}

TEST_F(event_stream, ndjson_and_single_object_payloads_are_accepted) {
  running_service s{db};
  producer p{s.endpoint};
  auto r = p.request(
      "nd", "{\"user_id\": 1, \"event_type\": \"a\", \"event_time\": \"2019-01-01T00:00:00\"}\n"
            "\n"
            "{\"user_id\": 2, \"event_type\": \"b\", \"event_time\": \"2019-01-01T00:00:00\"}\r\n"
            "{\"user_id\": 3, \"event_type\": \"b\"\n");
  EXPECT_EQ(r.body.status, reply_status::partial) << r.text;
  EXPECT_EQ(r.body.accepted, 2u);
  ASSERT_EQ(r.body.errors.size(), 1u);
  EXPECT_EQ(r.body.errors[0].index, 2);
  auto one =
      p.request("one", R"({"user_id": 4, "event_type": "a", "event_time": "2019-01-01T00:00:00"})");
  EXPECT_EQ(one.body.status, reply_status::ok) << one.text;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 3);
}

TEST_F(event_stream, wrong_frames_and_bad_ids_are_rejected_without_writing) {
  running_service s{db};
  producer p{s.endpoint};
  p.send_frames({"only-one-frame"});
  auto r = p.receive(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "only-one-frame");
  EXPECT_EQ(r->body.status, reply_status::rejected);
  EXPECT_EQ(r->body.errors.at(0).index, -1);
  EXPECT_NE(r->body.errors.at(0).reason.find("two frames"), std::string::npos);
  EXPECT_NE(r->body.errors.at(0).reason.find("or three"), std::string::npos);
  p.send_frames({"four", events_payload(1), "prod 1", "extra"});
  r = p.receive(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "four");
  EXPECT_EQ(r->body.status, reply_status::rejected);
  // A third frame is a producer session: one that is not "<producer> <sequence>" is refused,
  // naming what is wrong.
  for (auto [frame, says] :
       std::vector<std::pair<std::string, std::string>>{{"b", "no space"},
                                                        {"prod x1", "is not decimal digits"},
                                                        {"pr od 1", "is not decimal digits"},
                                                        {"prod/1 2", "has a character outside"},
                                                        {" 1", "must be 1 to 64 characters"},
                                                        {"prod 99999999999999999999", "is over"}}) {
    p.send_frames({"three", events_payload(1), frame});
    r = p.receive(10s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->id, "three");
    EXPECT_EQ(r->body.status, reply_status::rejected) << frame;
    ASSERT_FALSE(r->body.errors.empty());
    EXPECT_NE(r->body.errors[0].reason.find(says), std::string::npos)
        << frame << ": " << r->body.errors[0].reason;
  }
  auto long_id = std::string(256, 'x');
  p.send(long_id, events_payload(1));
  r = p.receive(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.status, reply_status::rejected);
  EXPECT_NE(r->body.errors.at(0).reason.find("1 to 255 bytes"), std::string::npos);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 0);
}

TEST_F(event_stream, payload_over_the_limit_is_rejected_and_recorded) {
  running_service s{db, {{"SCPIPE_BROKER_MAX_MESSAGE_BYTES", "2048"}}};
  producer p{s.endpoint};
  auto r = p.request("big", events_payload(100));
  EXPECT_EQ(r.body.status, reply_status::rejected) << r.text;
  EXPECT_NE(r.body.errors.at(0).reason.find("more than broker.max_message_bytes (2048)"),
            std::string::npos)
      << r.text;
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event where message_id = 'big'::bytea"), 1);
  EXPECT_EQ(p.request("small", events_payload(1)).body.status, reply_status::ok);
}

TEST_F(event_stream, hostile_payloads_get_their_reason_are_kept_verbatim_and_harm_nothing) {
  running_service s{db};
  producer p{s.endpoint};
  auto event = [](const std::string& type) {
    return R"({"user_id": 1, "event_type": ")" + type
           + R"(", "event_time": "2019-01-01T00:00:00"})";
  };
  std::string raw_nul = event("log");
  raw_nul.insert(raw_nul.find("log") + 3, 1, '\0');
  struct hostile {
    std::string id, payload, reason;
  };
  std::vector<hostile> cases{
      {"deep", std::string(200000, '[') + std::string(200000, ']'),
       "payload is not JSON (nested deeper than 32 levels)"},
      {"huge-string", event(std::string(8 << 20, 'x')),
       "event_type: 8388608 characters, more than 50"},
      {"escaped-nul", event("log\\u0000in"),
       "event_type: contains a NUL character (\\u0000), which text cannot hold"},
      {"raw-nul", raw_nul, "payload is not JSON (a NUL byte at offset 33)"},
      {"bad-utf8", event("caf\xC3\x28"),
       "payload is not JSON (not UTF-8 (byte 0xC3 at offset 33))"},
  };
  for (const auto& c : cases) {
    auto r = p.request(c.id, c.payload, 60s);
    EXPECT_EQ(r.body.status, reply_status::rejected) << c.id << ": " << r.text.substr(0, 300);
    ASSERT_EQ(r.body.errors.size(), 1u) << c.id;
    EXPECT_EQ(r.body.errors[0].reason, c.reason) << c.id;
    // Dead-lettered byte for byte: as text when it is text, else as bytes.
    EXPECT_EQ(db.scalar("select encode(coalesce(convert_to(raw_event, 'UTF8'), raw_bytes), 'hex') "
                        "from scpipe.rejected_event where message_id = '"
                        + c.id + "'::bytea"),
              to_hex(c.payload))
        << c.id;
  }
  // COPY's NULL marker (\N) and end marker (\.), quotes, a statement: all stored as sent.
  auto ok = p.request(
      "nasty", R"({"user_id": 5, "event_type": "x'); DROP TABLE sc.sc_user_event; --\\N\"", )"
               R"("platform": "\\.", "event_time": "2019-01-01T00:00:00"})");
  EXPECT_EQ(ok.body.status, reply_status::ok) << ok.text;
  EXPECT_EQ(
      db.scalar("select event_type || '|' || platform from sc.sc_user_event where user_id = 5"),
      R"(x'); DROP TABLE sc.sc_user_event; --\N"|\.)");
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 1);
  EXPECT_EQ(p.request("after", events_payload(3)).body.status, reply_status::ok);
  EXPECT_FALSE(s.svc->wait(0ms).has_value()) << "the service is still running";
}

TEST_F(event_stream, times_without_a_zone_are_read_in_etl_timezone) {
  running_service s{db, {{"SCPIPE_ETL_TIMEZONE", "Australia/Sydney"}}};
  producer p{s.endpoint};
  auto r =
      p.request("tz", R"([{"user_id": 1, "event_type": "a", "event_time": "2019-05-13T10:00:00"},
                              {"user_id": 2, "event_type": "a", "event_time": "5/13/2019 10:00:00"},
                              {"user_id": 3, "event_type": "a", "event_time": "2019-05-13T10:00:00Z"}])");
  EXPECT_EQ(r.body.status, reply_status::ok) << r.text;
  EXPECT_EQ(
      db.scalar("select string_agg(event_ts::text, ',' order by user_id) from sc.sc_user_event"),
      "2019-05-13 00:00:00+00,2019-05-13 00:00:00+00,2019-05-13 10:00:00+00");
}

TEST_F(event_stream, a_row_the_database_refuses_is_isolated_and_dead_lettered) {
  // Validation matches the columns, so only a rule added in the database can refuse a row.
  db.scalar("alter table sc.sc_user_event add constraint no_poison check (event_type <> 'poison')");
  running_service s{db};
  producer p{s.endpoint};
  p.send("a", events_payload(3, 1));
  p.send("b",
         "[" + events_payload(2, 10).substr(1, events_payload(2, 10).size() - 2) + ","
             + R"({"user_id": 12, "event_type": "poison", "event_time": "2019-05-13T03:11:04Z"}])");
  std::map<std::string, producer::reply> replies;
  for (int i = 0; i < 2; ++i) {
    auto r = p.receive(20s);
    ASSERT_TRUE(r);
    replies[r->id] = *r;
  }
  EXPECT_EQ(replies["a"].body.status, reply_status::ok) << replies["a"].text;
  EXPECT_EQ(replies["b"].body.status, reply_status::partial) << replies["b"].text;
  EXPECT_EQ(replies["b"].body.accepted, 2u);
  ASSERT_EQ(replies["b"].body.errors.size(), 1u);
  EXPECT_EQ(replies["b"].body.errors[0].index, 2);
  EXPECT_NE(replies["b"].body.errors[0].reason.find("no_poison"), std::string::npos);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 5);
  EXPECT_EQ(db.scalar("select accepted || '/' || rejected from scpipe.event_ledger where "
                      "message_id = 'b'::bytea"),
            "2/1");
  EXPECT_EQ(db.scalar("select raw_event::jsonb->>'event_type' from scpipe.rejected_event"),
            "poison");

  // The same with a producer session: the count of its sequence number in its run is corrected.
  p.send_frames(
      {"c",
       "[" + events_payload(2, 20).substr(1, events_payload(2, 20).size() - 2) + ","
           + R"({"user_id": 22, "event_type": "poison", "event_time": "2019-05-13T03:11:04Z"}])",
       "poisoner 7"});
  auto c = p.receive(20s);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->body.status, reply_status::partial) << c->text;
  EXPECT_EQ(c->body.accepted, 2u);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 7);
  EXPECT_EQ(db.scalar("select first_seq || ':' || accepted[1] || '/' || rejected[1] "
                      "from scpipe.session_ledger where producer = 'poisoner'"),
            "7:2/1");
}

namespace {

/// Peak resident memory of a process, from /proc (VmHWM), in KiB.
int64_t peak_rss_kib(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("VmHWM:"))
      return std::stoll(line.substr(6));
  return -1;
}

} // namespace

TEST_F(event_stream, hundred_thousand_events_are_committed_exactly_once) {
  running_service s{db};
  producer p{s.endpoint};
  auto messages = numbered_messages(100, 1000, "bulk");
  auto st = p.publish(messages, 16, 30s, 120s);
  EXPECT_EQ(st.unanswered, 0u);
  EXPECT_EQ(st.ok, 100u);
  EXPECT_EQ(st.accepted, 100000u);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 100000);
  EXPECT_EQ(count("select count(distinct user_id) from sc.sc_user_event"), 100000);
  // The same ids again: all duplicates, nothing written.
  auto again = p.publish(messages, 16, 30s, 120s);
  EXPECT_EQ(again.duplicate, 100u);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 100000);
}

TEST_F(event_stream, one_producer_with_4096_messages_in_flight_gets_every_reply_once) {
  // 4096 replies at once are more than ZeroMQ's pipes to one producer hold (1000 each way by
  // default): the service must keep the rest until there is room, not drop them.
  running_service s{db};
  producer p{s.endpoint};
  constexpr size_t n = 20000;
  auto messages = numbered_messages(n, 1, "wide");
  std::map<std::string, int> replies;
  auto st = p.publish(messages, 4096, 25s, 90s, [&](const producer::reply& r) { ++replies[r.id]; });
  EXPECT_EQ(st.unanswered, 0u);
  EXPECT_EQ(st.resends, 0u) << "a reply went missing: its message timed out and was resent";
  EXPECT_EQ(st.ok, n);
  EXPECT_EQ(replies.size(), n);
  for (const auto& [id, k] : replies)
    ASSERT_EQ(k, 1) << id;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), static_cast<int64_t>(n));
  EXPECT_EQ(s.metric("scpipe_broker_replies_undeliverable_total"), 0);
}

TEST_F(event_stream, sixty_four_producers_of_one_event_messages_each_get_one_ok_per_message) {
  running_service s{db};
  constexpr int producers = 64, per_producer = 500;
  std::vector<producer::publish_stats> stats(producers);
  {
    std::vector<std::jthread> threads;
    for (int k = 0; k < producers; ++k)
      threads.emplace_back([&, k] {
        producer p{s.endpoint};
        // Distinct user ids per producer: a doubled or lost event shows in the distinct count.
        std::vector<std::pair<std::string, std::string>> messages;
        for (int i = 0; i < per_producer; ++i)
          messages.emplace_back("p" + std::to_string(k) + "-" + std::to_string(i),
                                events_payload(1, 1 + k * per_producer + i));
        stats[k] = p.publish(messages, 256, 25s, 120s);
      });
  }
  size_t ok = 0, resends = 0, unanswered = 0;
  for (const auto& st : stats) {
    ok += st.ok;
    resends += st.resends;
    unanswered += st.unanswered;
  }
  constexpr int64_t n = producers * per_producer;
  EXPECT_EQ(unanswered, 0u);
  EXPECT_EQ(resends, 0u);
  EXPECT_EQ(static_cast<int64_t>(ok), n);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), n);
  EXPECT_EQ(count("select count(distinct user_id) from sc.sc_user_event"), n);
  EXPECT_EQ(count("select count(*) from scpipe.event_ledger"), n);
}

/// Kills the service with SIGKILL once some batches are committed, starts it again, and checks
/// that the producer's resends leave every event exactly once. With `session`, the producer
/// sends a session frame: the session ledger, not the id ledger, is what decides.
void kill_9_mid_stream_then_restart_and_resend(test_database& db, const std::string& session) {
  auto count = [&](const std::string& sql) { return std::stoll(db.scalar(sql)); };
  auto committed = [&] {
    return count(session.empty() ? "select count(*) from scpipe.event_ledger"
                                 : "select coalesce(sum(last_seq - first_seq + 1), 0) "
                                   "from scpipe.session_ledger");
  };
  running_service s{db};
  auto messages = numbered_messages(300, 500, "k9");
  producer::publish_stats st;
  std::thread publisher{[&] {
    producer p{s.endpoint};
    if (!session.empty())
      p.use_session(session);
    st = p.publish(messages, 32, 2s, 120s);
  }};
  // Kill the service once some batches are committed, then start it again.
  EXPECT_TRUE(eventually([&] { return committed() >= 20; }, 60s));
  s.svc->signal(SIGKILL);
  EXPECT_EQ(s.svc->wait(10s), 128 + SIGKILL);
  auto committed_at_kill = committed();
  EXPECT_LT(committed_at_kill, 300) << "the kill came too late to test anything";
  s.start();
  publisher.join();
  EXPECT_EQ(st.unanswered, 0u);
  EXPECT_GT(st.resends, 0u) << "messages lost in the kill must have been resent";
  EXPECT_EQ(st.ok + st.duplicate, 300u);
  EXPECT_EQ(committed(), 300);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 150000);
  EXPECT_EQ(count("select count(distinct user_id) from sc.sc_user_event"), 150000);
}

TEST_F(event_stream, kill_9_mid_stream_then_restart_and_resend_loses_and_doubles_nothing) {
  kill_9_mid_stream_then_restart_and_resend(db, "");
}

TEST_F(event_stream, kill_9_mid_stream_with_a_producer_session_loses_and_doubles_nothing) {
  kill_9_mid_stream_then_restart_and_resend(db, "k9-producer");
  EXPECT_EQ(count("select count(*) from scpipe.event_ledger"), 0) << "sessions only";
}

// -- producer sessions (docs/protocol.md) -----------------------------------------------------

TEST_F(event_stream, session_messages_are_remembered_by_sequence_in_runs_not_by_id) {
  running_service s{db};
  producer p{s.endpoint};
  p.use_session("prod-a");
  auto messages = numbered_messages(200, 3, "sa");
  auto st = p.publish(messages, 64, 20s, 60s);
  EXPECT_EQ(st.ok, 200u);
  EXPECT_EQ(st.accepted, 600u);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 600);
  EXPECT_EQ(count("select count(*) from scpipe.event_ledger"), 0);
  // Every sequence number once, in runs: fewer rows than messages.
  EXPECT_EQ(count("select sum(last_seq - first_seq + 1) from scpipe.session_ledger"), 200);
  EXPECT_EQ(count("select count(distinct s) from scpipe.session_ledger, "
                  "generate_series(first_seq, last_seq) as s"),
            200);
  EXPECT_LT(count("select count(*) from scpipe.session_ledger"), 200);
  EXPECT_EQ(count("select count(*) from scpipe.session_ledger where producer <> 'prod-a' "
                  "or cardinality(accepted) <> last_seq - first_seq + 1 "
                  "or 3 <> all (accepted) or 0 <> all (rejected)"),
            0);

  // Resent: duplicates with their first counts, nothing written.
  auto again = p.publish(messages, 64, 20s, 60s);
  EXPECT_EQ(again.duplicate, 200u);
  EXPECT_EQ(again.accepted, 600u);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 600);

  // A used sequence number with another payload: refused, nothing written.
  p.send_frames({"other-payload", events_payload(2, 9000), "prod-a 5"});
  auto r = p.receive(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.status, reply_status::rejected);
  EXPECT_EQ(r->body.reason, protocol::id_reused_reason);
  ASSERT_FALSE(r->body.errors.empty());
  EXPECT_NE(r->body.errors[0].reason.find("producer prod-a, sequence 5"), std::string::npos)
      << r->text;

  // Another producer sending the same ids: other messages, written.
  producer q{s.endpoint};
  q.use_session("prod-b");
  EXPECT_EQ(q.publish(messages, 64, 20s, 60s).ok, 200u);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 1200);
}

TEST_F(event_stream, the_same_session_through_two_instances_at_once_commits_each_sequence_once) {
  // Two services on one database, the same session messages sent to both at the same time: a
  // sequence number claimed by both batches at once is committed by one (the other waits for
  // the producer's lock, finds the first's run and writes its batch again: sql/0015).
  running_service a{db};
  running_service b{db};
  constexpr size_t n = 3000;
  auto messages = numbered_messages(n, 1, "race");
  producer::publish_stats st_a, st_b;
  {
    std::jthread to_a{[&] {
      producer p{a.endpoint};
      p.use_session("racer");
      st_a = p.publish(messages, 128, 20s, 120s);
    }};
    std::jthread to_b{[&] {
      producer p{b.endpoint};
      p.use_session("racer");
      st_b = p.publish(messages, 128, 20s, 120s);
    }};
  }
  EXPECT_EQ(st_a.unanswered + st_b.unanswered, 0u);
  EXPECT_EQ(st_a.ok + st_a.duplicate, n);
  EXPECT_EQ(st_b.ok + st_b.duplicate, n);
  EXPECT_EQ(st_a.ok + st_b.ok, n) << "each sequence number is ok once, duplicate once";
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), static_cast<int64_t>(n));
  EXPECT_EQ(count("select count(distinct user_id) from sc.sc_user_event"), static_cast<int64_t>(n));
  EXPECT_EQ(count("select sum(last_seq - first_seq + 1) from scpipe.session_ledger"),
            static_cast<int64_t>(n));
}

TEST_F(event_stream, writers_recover_from_terminated_connections_without_a_restart) {
  running_service s{db};
  auto messages = numbered_messages(200, 500, "term");
  producer::publish_stats st;
  std::atomic<bool> done{false};
  std::thread publisher{[&] {
    producer p{s.endpoint};
    st = p.publish(messages, 16, 10s, 120s);
    done = true;
  }};
  int terminated = 0;
  while (!done) {
    terminated += std::stoi(
        // Only this test's writers: other tests run against the same server at the same time.
        db.scalar("select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity "
                  "where application_name like 'scpipe db_writer%' "
                  "and datname = current_database()) t"));
    std::this_thread::sleep_for(150ms);
  }
  publisher.join();
  EXPECT_GT(terminated, 0);
  EXPECT_EQ(st.unanswered, 0u);
  EXPECT_EQ(st.ok + st.duplicate, 200u);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 100000);
  EXPECT_EQ(count("select count(distinct user_id) from sc.sc_user_event"), 100000);
  EXPECT_EQ(s.svc->err().find("restarting"), std::string::npos) << "no actor was restarted";
  s.svc->signal(SIGTERM);
  auto code = s.svc->wait(30s);
  auto log = s.svc->err();
  EXPECT_EQ(code, 0) << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
}

TEST_F(event_stream, sigterm_mid_stream_answers_every_message_read) {
  running_service s{db};
  producer p{s.endpoint};
  auto messages = numbered_messages(400, 250, "term");
  for (size_t i = 0; i < 200; ++i)
    p.send(messages[i].first, messages[i].second);
  // Stop while messages are in flight.
  EXPECT_TRUE(
      eventually([&] { return count("select count(*) from scpipe.event_ledger") >= 5; }, 30s));
  s.svc->signal(SIGTERM);
  std::set<std::string> answered_ok, answered_retry;
  while (auto r = p.receive(3s)) {
    if (r->body.status == reply_status::ok)
      answered_ok.insert(r->id);
    else if (r->body.status == reply_status::retry)
      answered_retry.insert(r->id);
    else
      ADD_FAILURE() << r->text;
  }
  EXPECT_EQ(s.svc->wait(30s), 0) << s.svc->err();
  EXPECT_FALSE(answered_ok.empty());
  // Every message committed was answered ok; nothing committed is unanswered.
  std::set<std::string> committed;
  auto conn = db.connect();
  pqxx::nontransaction tx{conn};
  for (const auto& row :
       tx.exec("select convert_from(message_id, 'UTF8') from scpipe.event_ledger"))
    committed.insert(row[0].as<std::string>());
  EXPECT_EQ(committed, answered_ok) << answered_retry.size() << " answered retry\n" << s.svc->err();
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"),
            static_cast<int64_t>(answered_ok.size()) * 250);
  // The totals the actors counted agree with the database.
  EXPECT_NE(s.svc->err().find("\"events_accepted\":" + std::to_string(answered_ok.size() * 250)),
            std::string::npos)
      << s.svc->err();
}

TEST_F(event_stream, memory_stays_bounded_when_producers_outpace_the_database) {
#ifdef SCPIPE_SANITIZED
  GTEST_SKIP() << "RSS bounds are meaningless under AddressSanitizer";
#endif
  // Every COPY statement takes 100 ms longer: far slower than four producers pushing 256 KiB
  // messages as fast as ZeroMQ lets them.
  db.scalar("create function slow() returns trigger language plpgsql as "
            "$$ begin perform pg_sleep(0.1); return null; end $$");
  db.scalar("create trigger slow before insert on sc.sc_user_event "
            "for each statement execute function slow()");
  running_service s{db,
                    {{"SCPIPE_BROKER_MAX_INFLIGHT_BYTES", "16777216"},
                     {"SCPIPE_BROKER_MAX_MESSAGE_BYTES", "1048576"}}};
  std::vector<std::thread> producers;
  std::atomic<size_t> sent{0};
  std::atomic<bool> stop{false};
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&, t] {
      producer p{s.endpoint};
      auto payload = events_payload(2500, 1 + t * 1000000); // ~250 KiB
      for (int i = 0; !stop;) {
        if (p.try_send("flood-" + std::to_string(t) + "-" + std::to_string(i), payload)) {
          ++sent;
          ++i;
        } else {
          std::this_thread::sleep_for(1ms); // held back: the service is not reading
        }
      }
    });
  std::this_thread::sleep_for(8s);
  auto rss = peak_rss_kib(s.svc->pid());
  stop = true;
  for (auto& t : producers)
    t.join();
  s.svc->signal(SIGKILL);
  // 16 MiB held payloads (+ their rows) plus what ZeroMQ queues per producer ahead of reads
  // (broker.receive_queue_messages: 4 producers x 32 x 256 KiB = 32 MiB).
  EXPECT_LT(rss, 128 * 1024) << "peak RSS " << rss << " KiB with " << sent << " messages sent";
  EXPECT_GT(sent.load(), 100u) << "the producers must have outpaced the database";
}

TEST_F(event_stream, unreachable_database_is_answered_retry_after_the_write_deadline) {
  running_service s{db,
                    {{"SCPIPE_DATABASE_URL", "dbname=" + db.name() + "_missing"},
                     {"SCPIPE_DATABASE_WRITE_DEADLINE_MS", "500"}},
                    false};
  producer p{s.endpoint};
  auto started = std::chrono::steady_clock::now();
  auto r = p.request("early", events_payload(3), 20s);
  EXPECT_EQ(r.body.status, reply_status::retry) << r.text;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  ASSERT_EQ(r.body.errors.size(), 1u);
  EXPECT_NE(r.body.errors[0].reason.find("database unavailable"), std::string::npos) << r.text;
  EXPECT_EQ(count("select count(*) from scpipe.event_ledger"), 0);
}

TEST_F(event_stream, blocked_table_is_answered_retry_then_the_resend_commits) {
  running_service s{db, {{"SCPIPE_DATABASE_WRITE_DEADLINE_MS", "800"}}};
  producer p{s.endpoint};
  {
    auto locker = db.connect();
    pqxx::work tx{locker};
    tx.exec0("lock table sc.sc_user_event in access exclusive mode");
    auto r = p.request("blocked", events_payload(3), 20s);
    EXPECT_EQ(r.body.status, reply_status::retry) << r.text;
    EXPECT_NE(r.text.find("57014"), std::string::npos) << "statement timeout: " << r.text;
  } // the lock goes with the transaction
  auto again = p.request("blocked", events_payload(3), 20s);
  EXPECT_EQ(again.body.status, reply_status::ok) << again.text;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 3);
}

TEST_F(event_stream, sigterm_while_the_database_blocks_answers_retry_after_the_drain_timeout) {
  running_service s{db, {{"SCPIPE_BROKER_DRAIN_TIMEOUT_MS", "500"}}};
  producer p{s.endpoint};
  auto locker = db.connect();
  pqxx::work tx{locker};
  tx.exec0("lock table sc.sc_user_event in access exclusive mode");
  p.send("stuck", events_payload(3));
  ASSERT_TRUE(eventually([&] { return db.lock_waiters() == 1; }, 20s)) << "no writer blocked";
  s.svc->signal(SIGTERM);
  auto r = p.receive(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, "stuck");
  EXPECT_EQ(r->body.status, reply_status::retry) << r->text;
  // The writer blocked in COPY is cancelled rather than waited for (statement timeout: 10 s).
  EXPECT_EQ(s.svc->wait(5s), 0) << s.svc->err();
  tx.abort();
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 0);
}

TEST_F(event_stream, scpipe_publish_sends_csv_and_json_files_to_the_service) {
  running_service s{db, {{"SCPIPE_ETL_TIMEZONE", "Australia/Sydney"}}};
  std::string csv = "user_id,platform,event_time,event_type,first_event\n";
  for (int i = 1; i <= 2500; ++i)
    csv += std::to_string(i) + ",\"web, desktop\",5/13/2019 3:11:04,login,FALSE\n";
  scratch_files files;
  auto csv_path = files.write("events.csv", csv);
  auto json_path = files.write("events.json", events_payload(1500, 10001));
  std::map<std::string, std::string> env = s.env;
  auto r =
      run({SCPIPE_BINARY, "publish", "--batch=700", "--id-prefix=e2e", csv_path, json_path}, env);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("accepted 4000"), std::string::npos) << r.out;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 4000);
  EXPECT_EQ(db.scalar("select distinct platform || ' ' || event_ts from sc.sc_user_event "
                      "where user_id <= 2500"),
            "web, desktop 2019-05-12 17:11:04+00");
  // The same command again: every message is a duplicate, nothing is written twice.
  auto again =
      run({SCPIPE_BINARY, "publish", "--batch=700", "--id-prefix=e2e", csv_path, json_path}, env);
  EXPECT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 4000);
  // A bad event: exit 1, the reason in the summary, the rest committed.
  auto bad_path = files.write(
      "bad.json", R"([{"user_id": "x", "event_type": "login", "event_time": "2019-05-13T03:11:04Z"},
    {"user_id": 5, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"}])");
  auto bad = run({SCPIPE_BINARY, "publish", bad_path}, env);
  EXPECT_EQ(bad.code, 1) << bad.out << bad.err;
  EXPECT_NE((bad.out + bad.err).find(R"(user_id: "x" is not a string of digits)"),
            std::string::npos)
      << bad.out << bad.err;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 4001);
  // The same prefix for other files: refused, named, exit 1 even with --allow-rejected.
  auto other = run({SCPIPE_BINARY, "publish", "--allow-rejected", "--batch=700", "--id-prefix=e2e",
                    json_path, csv_path},
                   env);
  EXPECT_EQ(other.code, 1) << other.out << other.err;
  // Files swapped: json's 3 messages take csv's ids, csv's first 3 take json's; csv's 4th id
  // is new and commits.
  EXPECT_NE(other.out.find("id reused 6 messages (events 3600)"), std::string::npos) << other.out;
  EXPECT_NE(other.err.find("their ids were committed before with a different payload"),
            std::string::npos)
      << other.err;
  for (auto id : {"e2e-1-1", "e2e-1-2", "e2e-1-3", "e2e-2-1", "e2e-2-2", "e2e-2-3"})
    EXPECT_NE(other.err.find(id), std::string::npos) << id << " not named:\n" << other.err;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 4401);
}

TEST_F(event_stream, a_flood_of_bad_events_costs_a_bounded_number_of_dead_letter_rows) {
  running_service s{db};
  producer p{s.endpoint};
  std::string payload = "[{}";
  for (int i = 1; i < 200000; ++i)
    payload += ",{}";
  payload += "]";
  auto r = p.request("flood", payload);
  EXPECT_EQ(r.body.status, reply_status::rejected) << r.text.substr(0, 300);
  EXPECT_EQ(r.body.rejected, 200000u);
  EXPECT_EQ(r.body.errors.size(), 100u);
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event"), 1001);
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event where event_index = -1 "
                  "and length(raw_event) = "
                  + std::to_string(payload.size())),
            1);
  EXPECT_EQ(db.scalar("select rejected from scpipe.event_ledger"), "200000");
}

TEST_F(event_stream, replay_rejected_writes_what_is_valid_now_exactly_once) {
  db.scalar("alter table sc.sc_user_event add constraint no_poison check (event_type <> 'poison')");
  running_service s{db};
  producer p{s.endpoint};
  auto mixed = p.request(
      "m", R"([{"user_id": 1, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"},
               {"user_id": 2, "event_type": "poison", "event_time": "2019-05-13T03:11:04Z"}])");
  EXPECT_EQ(mixed.body.status, reply_status::partial) << mixed.text;
  EXPECT_EQ(p.request("junk", "not json").body.status, reply_status::rejected);
  db.scalar("alter table sc.sc_user_event drop constraint no_poison"); // the cause is fixed

  auto dry = run({SCPIPE_BINARY, "replay-rejected", "--dry-run"}, s.env);
  EXPECT_EQ(dry.code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("dry run, nothing changed: examined 2 dead letters: 1 would be replayed "
                         "(1 event would be written), 1 would still be refused"),
            std::string::npos)
      << dry.out;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 1);

  auto r = run({SCPIPE_BINARY, "replay-rejected"}, s.env);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("1 replayed (1 event written), 1 still refused"), std::string::npos)
      << r.out;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event where event_type = 'poison'"), 1);
  EXPECT_EQ(db.scalar("select replay_note from scpipe.rejected_event where event_index = -1")
                .rfind("still refused: payload is not JSON", 0),
            0u);

  auto again = run({SCPIPE_BINARY, "replay-rejected"}, s.env);
  EXPECT_NE(again.out.find("examined 1 dead letter: 0 replayed"), std::string::npos) << again.out;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 2);
}

TEST_F(event_stream, replay_rejected_writes_each_row_it_can_and_keeps_the_database_reason) {
  db.scalar("alter table sc.sc_user_event add constraint no_a check (event_type <> 'a')");
  db.scalar("alter table sc.sc_user_event add constraint no_b check (event_type <> 'b')");
  running_service s{db};
  producer p{s.endpoint};
  auto r =
      p.request("ab", R"([{"user_id": 1, "event_type": "a", "event_time": "2019-05-13T03:11:04Z"},
                {"user_id": 2, "event_type": "b", "event_time": "2019-05-13T03:11:04Z"}])");
  EXPECT_EQ(r.body.status, reply_status::rejected) << r.text;
  db.scalar("alter table sc.sc_user_event drop constraint no_a"); // one cause fixed, one not

  auto dry = run({SCPIPE_BINARY, "replay-rejected", "--dry-run"}, s.env);
  EXPECT_EQ(dry.code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("1 would be replayed (1 event would be written), 1 would still be "
                         "refused"),
            std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("SQLSTATE 23514"), std::string::npos) << dry.out;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 0);
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event where replay_note is not null"), 0)
      << "a dry run writes nothing";

  auto real = run({SCPIPE_BINARY, "replay-rejected"}, s.env);
  EXPECT_EQ(real.code, 0) << real.out << real.err;
  EXPECT_NE(real.out.find("1 replayed (1 event written), 1 still refused"), std::string::npos)
      << real.out;
  EXPECT_EQ(db.scalar("select string_agg(event_type, ',') from sc.sc_user_event"), "a");
  EXPECT_EQ(db.scalar("select replay_note from scpipe.rejected_event where replayed_at is null")
                .rfind("still refused: the database refused the event (SQLSTATE 23514)", 0),
            0u);

  auto empty = run({SCPIPE_BINARY, "replay-rejected", "--message="}, s.env);
  EXPECT_EQ(empty.code, 2) << empty.err;
  auto unknown = run({SCPIPE_BINARY, "replay-rejected", "--message=no-such-id"}, s.env);
  EXPECT_EQ(unknown.code, 1) << unknown.out;
  EXPECT_NE(unknown.err.find("no dead letters of message id 'no-such-id'"), std::string::npos)
      << unknown.err;
}

TEST_F(event_stream, debug_level_logs_batches_dispatched_and_committed_and_etl_runs) {
  running_service s{db, {{"SCPIPE_LOG_LEVEL", "debug"}, {"SCPIPE_ETL_INTERVAL_S", "1"}}};
  producer p{s.endpoint};
  EXPECT_EQ(p.request("debug-1", events_payload(3)).body.status, reply_status::ok);
  EXPECT_TRUE(s.svc->wait_for_stderr("\"message\":\"batch committed\"", 10s)) << s.svc->err();
  EXPECT_TRUE(s.svc->wait_for_stderr("\"message\":\"user etl run starting\"", 10s));
  auto err = s.svc->err();
  EXPECT_NE(err.find("\"message\":\"batch dispatched\""), std::string::npos) << err;
  EXPECT_NE(err.find("\"level\":\"debug\""), std::string::npos) << err;
}
