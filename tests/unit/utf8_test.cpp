#include "core/utf8.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

TEST(utf8, counts_code_points_not_bytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("\xC3\xA9t\xC3\xA9"), 3u); // été
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);  // emoji
}

TEST(utf8, invalid_sequences_are_rejected) {
  EXPECT_FALSE(utf8_length("\xC3"));             // truncated
  EXPECT_FALSE(utf8_length("\xC0\xAF"));         // overlong
  EXPECT_FALSE(utf8_length("\xED\xA0\x80"));     // surrogate
  EXPECT_FALSE(utf8_length("\xF4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(utf8_length("\xFF"));
  EXPECT_FALSE(utf8_length(std::string_view{"a\0b", 3})); // NUL: PostgreSQL text cannot hold it
}
