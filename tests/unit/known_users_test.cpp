#include "core/event_payload.hpp"
#include "core/known_users.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

TEST(known_users, events_of_ids_outside_the_set_are_counted) {
  user_id_set ids{{42, 7, 7, -3, 2147483647}};
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_TRUE(ids.contains(7));
  EXPECT_TRUE(ids.contains(-3));
  EXPECT_FALSE(ids.contains(8));
  EXPECT_FALSE(ids.contains(int64_t{1} << 40));
  // Rows exactly as the decoder writes them for the writers' COPY.
  auto payload = decode_payload(
      R"([{"user_id": 7, "event_type": "login", "event_time": "2019-05-13T03:11:04"},
          {"user_id": "8", "event_type": "login", "event_time": "2019-05-13T03:11:04"},
          {"user_id": 2147483647, "event_type": "x", "event_time": "2019-05-13T03:11:04"},
          {"user_id": 9, "event_type": "login", "event_time": "2019-05-13T03:11:04"}])");
  ASSERT_EQ(payload.accepted, 4u) << payload.rows;
  EXPECT_EQ(ids.count_unknown(payload.rows), 2u) << payload.rows;
  EXPECT_EQ(ids.count_unknown(""), 0u);
}

TEST(known_users, is_empty_until_loaded_and_then_gives_the_latest_set) {
  known_users users;
  EXPECT_EQ(users.current(), nullptr);
  users.replace(std::make_shared<const user_id_set>(std::vector<int32_t>{1}));
  auto first = users.current();
  users.replace(std::make_shared<const user_id_set>(std::vector<int32_t>{1, 2}));
  EXPECT_EQ(first->size(), 1u) << "a reader keeps the set it took";
  EXPECT_EQ(users.current()->size(), 2u);
}
