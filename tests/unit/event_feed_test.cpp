#include "core/event_feed.hpp"
#include "core/event_payload.hpp"
#include "core/hex.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace scpipe;

TEST(event_feed, rows_read_back_undo_the_copy_escapes) {
  auto p = decode_payload(R"({"user_id": 5, "platform": "a\tb\\c\nd", "event_type": "log\"in",
                              "event_time": "2019-05-13T03:11:04.5+02:00", "first_event": "TRUE"})");
  ASSERT_EQ(p.accepted, 1u);
  auto row = parse_event_row(p.rows);
  EXPECT_EQ(row.user_id, 5);
  EXPECT_EQ(row.platform, "a\tb\\c\nd");
  EXPECT_EQ(row.event_type, "log\"in");
  EXPECT_EQ(row.event_ts, "2019-05-13 03:11:04.5+02:00");
  EXPECT_TRUE(row.first_event);
  EXPECT_FALSE(parse_event_row(decode_payload(R"({"user_id": 1, "event_type": "x",
                                                  "event_time": "2019-05-13T03:11:04"})")
                                   .rows)
                   .platform.has_value());
}

TEST(event_feed, rows_keep_their_payload_positions_around_rejections) {
  auto p = decode_payload(R"([{"user_id": "bad"}, {"user_id": 1, "event_type": "a",
                               "event_time": "2019-05-13T03:11:04"}, {"nope": 1}, {"nope": 2},
                              {"user_id": 2, "event_type": "b", "event_time": "2019-05-13T03:11:04"}])");
  auto rows = rows_with_index(p);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].index, 1);
  EXPECT_EQ(parse_event_row(rows[0].line).event_type, "a");
  EXPECT_EQ(rows[1].index, 4);
  EXPECT_EQ(parse_event_row(rows[1].line).event_type, "b");
}

TEST(event_feed, lines_are_the_written_events_as_json_with_message_id_and_index) {
  batch_message m;
  m.id = std::string{"\x01id", 3};
  m.content =
      decode_payload(R"([{"user_id": 1, "event_type": "a", "event_time": "2019-05-13T03:11:04Z"},
                                 {"user_id": 2, "event_type": "b", "event_time": "2019-05-13T03:11:04Z"},
                                 {"user_id": 3, "event_type": "c", "event_time": "bad"},
                                 {"user_id": 4, "platform": "p", "event_type": "d",
                                  "event_time": "2019-05-13T03:11:04Z"}])");
  // Index 1 refused by the database, 2 by the validator.
  auto refused = m.content.rejections;
  refused.push_back({1, "refused", ""});
  std::string out;
  append_feed_events(out, m, refused);
  std::vector<boost::json::object> lines;
  for (size_t start = 0; start < out.size();) {
    auto nl = out.find('\n', start);
    lines.push_back(boost::json::parse(out.substr(start, nl - start)).as_object());
    start = nl + 1;
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("message_id").as_string(), to_hex(m.id));
  EXPECT_EQ(lines[0].at("index").as_int64(), 0);
  EXPECT_EQ(lines[0].at("user_id").as_int64(), 1);
  EXPECT_TRUE(lines[0].at("platform").is_null());
  EXPECT_EQ(lines[0].at("event_ts").as_string(), "2019-05-13 03:11:04+00:00");
  EXPECT_EQ(lines[1].at("index").as_int64(), 3);
  EXPECT_EQ(lines[1].at("platform").as_string(), "p");
  EXPECT_EQ(lines[1].at("first_event").as_bool(), false);
}
