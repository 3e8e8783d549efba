#include "core/publish_messages.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace scpipe;

namespace {

event_text ev(std::string json, size_t line) {
  return {std::move(json), line};
}

} // namespace

TEST(publish_messages, ids_name_prefix_file_and_sequence) {
  EXPECT_EQ(message_id("run7", 2, 15), "run7-2-15");
}

TEST(publish_messages, id_prefix_must_be_short_printable_ascii) {
  EXPECT_FALSE(check_id_prefix("3f2a-nightly_2019.05"));
  EXPECT_TRUE(check_id_prefix(""));
  EXPECT_TRUE(check_id_prefix("has space"));
  EXPECT_TRUE(check_id_prefix("tab\t"));
  EXPECT_TRUE(check_id_prefix("caf\xC3\xA9"));
  EXPECT_FALSE(check_id_prefix(std::string(max_id_prefix_bytes, 'p')));
  auto long_one = check_id_prefix(std::string(max_id_prefix_bytes + 1, 'p'));
  ASSERT_TRUE(long_one);
  EXPECT_EQ(*long_one, "must be at most 213 bytes (message ids are at most 255), got 214");
  // The longest prefix still gives ids within the protocol's limit.
  EXPECT_LE(message_id(std::string(max_id_prefix_bytes, 'p'), SIZE_MAX, SIZE_MAX).size(),
            protocol::max_message_id_bytes);
}

TEST(publish_messages, messages_are_cut_at_the_batch_size) {
  message_builder b{"p", 2, 1 << 20};
  b.start_file(1);
  std::vector<outgoing_message> out;
  for (size_t i = 1; i <= 5; ++i)
    b.add(ev("{\"n\":" + std::to_string(i) + "}", i), out);
  ASSERT_EQ(out.size(), 2u);
  b.flush(out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, "p-1-1");
  EXPECT_EQ(out[0].payload, "[{\"n\":1},{\"n\":2}]");
  EXPECT_EQ(out[0].lines, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(out[2].id, "p-1-3");
  EXPECT_EQ(out[2].payload, "[{\"n\":5}]");
  EXPECT_EQ(out[2].file, 1u);
  b.flush(out);
  EXPECT_EQ(out.size(), 3u) << "nothing left to flush";
}

TEST(publish_messages, a_new_file_starts_its_sequence_again) {
  message_builder b{"p", 10, 1 << 20};
  std::vector<outgoing_message> out;
  b.start_file(1);
  b.add(ev("{}", 1), out);
  b.flush(out);
  b.start_file(2);
  b.add(ev("{}", 4), out);
  b.flush(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].id, "p-2-1");
  EXPECT_EQ(out[1].file, 2u);
}

TEST(publish_messages, messages_are_cut_before_exceeding_the_byte_bound) {
  // Each event is 10 bytes: "[", 3 events, 2 commas and "]" make 34 bytes; a 4th would make 45.
  message_builder b{"p", 1000, 40};
  b.start_file(1);
  std::vector<outgoing_message> out;
  for (size_t i = 0; i < 4; ++i)
    b.add(ev("{\"n\":\"xx\"}", i + 1), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].events(), 3u);
  EXPECT_EQ(out[0].payload.size(), 34u);
  b.add(ev(std::string(60, ' ') + "{}", 5), out); // larger than the bound: goes alone
  b.flush(out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].too_large);
  EXPECT_EQ(out[1].events(), 1u);
  EXPECT_FALSE(out[1].too_large);
  EXPECT_EQ(out[2].events(), 1u);
  EXPECT_TRUE(out[2].too_large) << "marked, so that publish refuses it rather than sending it";
}

TEST(publish_messages, payload_is_a_json_array_of_the_events) {
  message_builder b{"p", 3, 1 << 20};
  b.start_file(1);
  std::vector<outgoing_message> out;
  b.add(ev("{\"user_id\": \"7\",\n \"x\": \"]\"}", 1), out);
  b.add(ev("{\"user_id\": 8}", 3), out);
  b.flush(out);
  ASSERT_EQ(out.size(), 1u);
  boost::json::error_code ec;
  auto v = boost::json::parse(out[0].payload, ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(v.is_array());
  EXPECT_EQ(v.as_array().size(), 2u);
}
