#include "core/event_reply.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdint>

using namespace scpipe;

TEST(event_reply, status_follows_the_counts) {
  EXPECT_EQ(status_for(3, 0), reply_status::ok);
  EXPECT_EQ(status_for(3, 1), reply_status::partial);
  EXPECT_EQ(status_for(0, 1), reply_status::rejected);
}

TEST(event_reply, lists_at_most_100_errors_and_round_trips) {
  std::vector<event_rejection> rs;
  for (int i = 0; i < 150; ++i)
    rs.push_back({i, "reason \"" + std::to_string(i) + "\"", "raw is not sent"});
  auto body = render_reply(reply_status::partial, 10, 150, rs);
  EXPECT_EQ(body.find("raw is not sent"), std::string::npos);
  auto parsed = parse_reply(body);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->status, reply_status::partial);
  EXPECT_EQ(parsed->accepted, 10u);
  EXPECT_EQ(parsed->rejected, 150u);
  ASSERT_EQ(parsed->errors.size(), 100u);
  EXPECT_EQ(parsed->errors[99].index, 99);
  EXPECT_EQ(parsed->errors[99].reason, "reason \"99\"");
  EXPECT_EQ(render_reply(reply_status::ok, 2, 0),
            R"({"status":"ok","accepted":2,"rejected":0,"errors":[]})");
  EXPECT_FALSE(parse_reply(R"({"status":"fine","accepted":1,"rejected":0})"));
  EXPECT_FALSE(parse_reply("not json"));
}

TEST(event_reply, a_reply_without_errors_is_the_text_of_its_json_object) {
  // render_reply writes these directly; the text is what Boost.JSON makes of the object.
  for (auto status : all_reply_statuses)
    for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, UINT64_MAX}) {
      boost::json::object o{{"status", to_string(status)},
                            {"accepted", n},
                            {"rejected", UINT64_MAX - n},
                            {"errors", boost::json::array{}}};
      EXPECT_EQ(render_reply(status, n, UINT64_MAX - n), boost::json::serialize(o));
    }
}
