#include "core/payload_digest.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace scpipe;

TEST(payload_digest, same_bytes_same_digest_any_change_another) {
  std::string payload = R"([{"user_id": 1, "event_type": "login", "event_time": "2019-05-13"}])";
  EXPECT_EQ(payload_digest(payload), payload_digest(std::string{payload}));
  std::set<uint64_t> seen{payload_digest(payload)};
  // Every single-byte change, at every position (word and tail alike), and every truncation.
  for (size_t i = 0; i < payload.size(); ++i) {
    auto changed = payload;
    changed[i] = static_cast<char>(changed[i] ^ 1);
    EXPECT_TRUE(seen.insert(payload_digest(changed)).second) << i;
    EXPECT_TRUE(seen.insert(payload_digest(std::string_view{payload}.substr(0, i))).second) << i;
  }
  // Trailing zero bytes are not lost in the last partial word.
  EXPECT_NE(payload_digest(std::string_view{"ab", 2}), payload_digest(std::string_view{"ab\0", 3}));
}
