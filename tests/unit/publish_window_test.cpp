#include "core/publish_window.hpp"

#include <gtest/gtest.h>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

using time_point = publish_window::time_point;

const time_point t0{};

outgoing_message message(std::string id, size_t events = 1) {
  return {std::move(id), "[{}]", 1, std::vector<size_t>(events, 1)};
}

window_settings settings(size_t capacity = 2, size_t max_attempts = 3) {
  window_settings s;
  s.capacity = capacity;
  s.reply_timeout = 1000ms;
  s.retry_initial = 100ms;
  s.retry_max = 350ms;
  s.max_attempts = max_attempts;
  return s;
}

constexpr std::string_view ok = R"({"status":"ok","accepted":1,"rejected":0,"errors":[]})";
constexpr std::string_view retry = R"({"status":"retry","accepted":0,"rejected":0,"errors":[]})";

/// Sends everything due at `now`; returns the ids in order.
std::vector<std::string> send_due(publish_window& w, time_point now) {
  std::vector<std::string> ids;
  while (auto order = w.next_send(now)) {
    ids.push_back(order->message->id);
    w.sent(order->message->id, now);
  }
  return ids;
}

} // namespace

TEST(publish_window, holds_at_most_its_capacity) {
  publish_window w{settings(2)};
  EXPECT_TRUE(w.has_room());
  w.add(message("a", 3), t0);
  w.add(message("b", 4), t0);
  EXPECT_FALSE(w.has_room());
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(w.events(), 7u);
  EXPECT_EQ(send_due(w, t0), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(w.on_reply("a", ok, t0 + 5ms), reply_outcome::final);
  EXPECT_TRUE(w.has_room());
  EXPECT_EQ(w.events(), 4u);
}

TEST(publish_window, a_message_is_due_again_when_no_reply_came_in_time) {
  publish_window w{settings()};
  w.add(message("a"), t0);
  EXPECT_EQ(send_due(w, t0), std::vector<std::string>{"a"});
  EXPECT_EQ(w.next_due(), t0 + 1000ms);
  EXPECT_FALSE(w.next_send(t0 + 999ms));
  auto again = w.next_send(t0 + 1000ms);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->message->id, "a");
  EXPECT_EQ(again->attempt, 2u);
  EXPECT_EQ(again->reason, send_reason::timeout);
  w.sent("a", t0 + 1000ms);
  EXPECT_EQ(w.summary().messages_sent, 1u);
  EXPECT_EQ(w.summary().resends, 1u);
}

TEST(publish_window, the_same_message_is_offered_until_it_is_sent) {
  publish_window w{settings()};
  w.add(message("a"), t0);
  ASSERT_TRUE(w.next_send(t0));
  auto same = w.next_send(t0 + 10ms);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->attempt, 1u);
}

TEST(publish_window, retry_replies_resend_after_a_doubling_capped_delay) {
  publish_window w{settings(2, 0)};
  w.add(message("a"), t0);
  send_due(w, t0);
  auto now = t0;
  for (auto delay : {100ms, 200ms, 350ms, 350ms}) {
    now += 10ms;
    EXPECT_EQ(w.on_reply("a", retry, now), reply_outcome::retry);
    EXPECT_EQ(w.next_due(), now + delay);
    auto order = w.next_send(now + delay);
    ASSERT_TRUE(order);
    EXPECT_EQ(order->reason, send_reason::retry);
    now += delay;
    w.sent("a", now);
  }
  EXPECT_EQ(w.on_reply("a", ok, now), reply_outcome::final);
  EXPECT_EQ(w.summary().resends, 4u);
  EXPECT_TRUE(w.summary().clean());
}

TEST(publish_window, a_message_is_given_up_after_its_last_attempt) {
  publish_window w{settings(2, 2)};
  w.add(message("a", 5), t0);
  send_due(w, t0);
  EXPECT_EQ(send_due(w, t0 + 1000ms), std::vector<std::string>{"a"});
  EXPECT_TRUE(send_due(w, t0 + 2000ms).empty());
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.summary().failed_messages, 1u);
  EXPECT_EQ(w.summary().failed_events, 5u);
  EXPECT_EQ(w.summary().failure_reasons().at(0).reason, "no reply after 2 attempts");
}

TEST(publish_window, zero_max_attempts_never_gives_up) {
  publish_window w{settings(2, 0)};
  w.add(message("a"), t0);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(send_due(w, t0 + i * 1000ms).size(), 1u);
  EXPECT_EQ(w.summary().failed_messages, 0u);
}

TEST(publish_window, replies_match_by_id_in_any_order_and_late_ones_are_unknown) {
  publish_window w{settings(3)};
  w.add(message("a"), t0);
  w.add(message("b"), t0);
  send_due(w, t0);
  EXPECT_EQ(w.on_reply("b", ok, t0), reply_outcome::final);
  EXPECT_EQ(w.on_reply("a", ok, t0), reply_outcome::final);
  EXPECT_EQ(w.on_reply("a", ok, t0), reply_outcome::unknown);
  EXPECT_EQ(w.on_reply("zzz", ok, t0), reply_outcome::unknown);
  EXPECT_EQ(w.summary().accepted_events, 2u);
}

TEST(publish_window, an_unintelligible_reply_fails_the_message) {
  publish_window w{settings()};
  w.add(message("a"), t0);
  send_due(w, t0);
  std::string problem;
  EXPECT_EQ(w.on_reply("a", R"({"status":"great"})", t0, &problem), reply_outcome::bad_reply);
  EXPECT_NE(problem.find("not a reply of docs/protocol.md"), std::string::npos);
  EXPECT_EQ(w.summary().failed_messages, 1u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(publish_window, abandon_fails_what_was_sent) {
  publish_window w{settings(3)};
  w.add(message("a", 2), t0);
  send_due(w, t0);
  w.add(message("b", 4), t0); // never sent
  w.abandon("interrupted");
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.summary().failed_messages, 1u);
  EXPECT_EQ(w.summary().failed_events, 2u);
}
