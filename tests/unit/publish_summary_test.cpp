#include "core/publish_summary.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

outgoing_message message(size_t file, std::vector<size_t> lines) {
  return {"id", "[]", file, std::move(lines)};
}

parsed_reply answer(reply_status status, uint64_t accepted, uint64_t rejected,
                    std::vector<event_rejection> errors = {}) {
  return {status, accepted, rejected, std::move(errors), {}};
}

const std::vector<std::string> files = {"a.json", "b.csv"};

} // namespace

TEST(publish_summary, counts_events_by_outcome) {
  publish_summary s;
  auto ok = message(1, {1, 2, 3});
  auto part = message(2, {2, 3, 4, 5});
  s.sent(ok);
  s.sent(part);
  s.resent();
  s.answered(ok, answer(reply_status::ok, 3, 0));
  s.answered(part, answer(reply_status::partial, 2, 2,
                          {{1, "user_id: not an integer", ""}, {3, "event_type: missing", ""}}));
  EXPECT_EQ(s.messages_sent, 2u);
  EXPECT_EQ(s.events_sent, 7u);
  EXPECT_EQ(s.accepted_events, 5u);
  EXPECT_EQ(s.rejected_events, 2u);
  EXPECT_EQ(s.unlisted_rejections, 0u);
  EXPECT_FALSE(s.clean());
  EXPECT_EQ(s.format(files),
            "published 7 events in 2 messages: accepted 5, rejected 2, duplicate messages 0 "
            "(events 0), resent 1\n"
            "rejected events by reason:\n"
            "  1  user_id: not an integer (first at b.csv:3)\n"
            "  1  event_type: missing (first at b.csv:5)\n");
}

TEST(publish_summary, nothing_rejected_nothing_failed_is_clean) {
  publish_summary s;
  auto m = message(1, {1});
  s.sent(m);
  s.answered(m, answer(reply_status::ok, 1, 0));
  EXPECT_TRUE(s.clean());
  EXPECT_EQ(s.format(files), "published 1 events in 1 messages: accepted 1, rejected 0, "
                             "duplicate messages 0 (events 0), resent 0\n");
}

TEST(publish_summary, reasons_are_aggregated_by_text_most_events_first) {
  publish_summary s;
  auto m1 = message(1, {10, 11, 12});
  auto m2 = message(1, {20, 21, 22});
  s.answered(m1, answer(reply_status::partial, 1, 2, {{0, "b", ""}, {2, "a", ""}}));
  s.answered(m2, answer(reply_status::partial, 1, 2, {{1, "a", ""}, {2, "c", ""}}));
  auto reasons = s.rejection_reasons();
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons[0].reason, "a");
  EXPECT_EQ(reasons[0].events, 2u);
  EXPECT_EQ(reasons[0].line, 12u) << "the first place it was seen";
  EXPECT_EQ(reasons[1].reason, "b") << "ties keep the order first seen";
  EXPECT_EQ(reasons[2].reason, "c");
  auto text = s.format(files, 2);
  EXPECT_NE(text.find("  1  ... 1 more reasons\n"), std::string::npos) << text;
}

TEST(publish_summary, rejected_message_counts_all_its_events_under_the_whole_payload_reason) {
  publish_summary s;
  auto m = message(2, {7, 8, 9});
  s.answered(m, answer(reply_status::rejected, 0, 0, {{-1, "payload is not JSON", ""}}));
  EXPECT_EQ(s.rejected_events, 3u);
  EXPECT_EQ(s.rejected_messages, 1u);
  auto reasons = s.rejection_reasons();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].events, 3u);
  EXPECT_EQ(reason_place(reasons[0], files), "b.csv:7");
}

TEST(publish_summary, rejections_beyond_the_listed_errors_are_counted_without_reason) {
  publish_summary s;
  auto m = message(1, std::vector<size_t>(150, 1));
  std::vector<event_rejection> errors;
  for (int64_t i = 0; i < 100; ++i)
    errors.push_back({i, "bad", ""});
  s.answered(m, answer(reply_status::partial, 0, 150, errors));
  EXPECT_EQ(s.unlisted_rejections, 50u);
  EXPECT_NE(s.format(files).find("  50  (reason not listed in the replies)\n"), std::string::npos);
}

TEST(publish_summary, duplicates_report_the_first_counts_and_are_counted_apart) {
  publish_summary s;
  auto m = message(1, {1, 2});
  s.sent(m);
  s.answered(m, answer(reply_status::duplicate, 2, 0));
  EXPECT_EQ(s.duplicate_messages, 1u);
  EXPECT_EQ(s.duplicate_events, 2u);
  EXPECT_EQ(s.accepted_events, 2u);
  EXPECT_TRUE(s.clean());
  auto partly = message(1, {3, 4});
  s.answered(partly, answer(reply_status::duplicate, 1, 1));
  EXPECT_EQ(s.rejected_events, 1u);
  EXPECT_FALSE(s.clean()) << "its events were rejected, if in an earlier run";
  EXPECT_NE(s.format(files).find("  1  (rejected when first sent; a duplicate reply does not "
                                 "repeat the reasons)\n"),
            std::string::npos)
      << s.format(files);
}

TEST(publish_summary, failed_messages_make_it_unclean_and_keep_their_reason) {
  publish_summary s;
  auto m = message(1, {4, 5});
  s.failed(m, "no reply after 3 attempts");
  EXPECT_FALSE(s.clean());
  EXPECT_EQ(s.failed_messages, 1u);
  EXPECT_EQ(s.failed_events, 2u);
  auto reasons = s.failure_reasons();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reason_place(reasons[0], files), "a.json:4");
  EXPECT_EQ(s.format(files), "published 0 events in 0 messages: accepted 0, rejected 0, "
                             "duplicate messages 0 (events 0), resent 0, no final reply 1 "
                             "messages (events 2)\n");
}

TEST(publish_summary, distinct_reasons_are_bounded) {
  publish_summary s;
  auto m = message(1, {1});
  for (size_t i = 0; i < publish_summary::max_reasons + 5; ++i)
    s.answered(m, answer(reply_status::rejected, 0, 1, {{0, "reason " + std::to_string(i), ""}}));
  EXPECT_EQ(s.rejection_reasons().size(), publish_summary::max_reasons);
  EXPECT_EQ(s.other_reason_events, 5u);
}

TEST(publish_summary, reused_ids_count_apart_from_rejections_and_are_never_clean) {
  publish_summary s;
  auto m = message(1, {1, 2});
  m.id = "export-1-1";
  s.sent(m);
  auto reply = answer(reply_status::rejected, 0, 2, {{-1, "message id reused: ...", ""}});
  reply.reason = std::string{protocol::id_reused_reason};
  s.answered(m, reply);
  EXPECT_EQ(s.rejected_events, 0u);
  EXPECT_EQ(s.reused_messages, 1u);
  EXPECT_EQ(s.reused_events, 2u);
  EXPECT_EQ(s.reused_ids, (std::vector<std::string>{"export-1-1"}));
  EXPECT_FALSE(s.clean());
  EXPECT_EQ(s.format(files).substr(0, s.format(files).find('\n')),
            "published 2 events in 1 messages: accepted 0, rejected 0, duplicate messages 0 "
            "(events 0), resent 0, id reused 1 messages (events 2)");
}
