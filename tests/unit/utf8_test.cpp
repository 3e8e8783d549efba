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

TEST(utf8, the_first_invalid_byte_is_located) {
  EXPECT_EQ(utf8_invalid_offset("abc\xC3\xA9"), std::nullopt);
  EXPECT_EQ(utf8_invalid_offset("ab\xC3\x28"), 2u);
  EXPECT_EQ(utf8_invalid_offset("\xC3\xA9\xED\xA0\x80"), 2u); // surrogate after é
  EXPECT_EQ(utf8_invalid_offset(std::string_view{"ab\0", 3}), 2u);
  EXPECT_EQ(utf8_invalid_offset("abc\xF0\x9F"), 3u); // truncated at the end
}
