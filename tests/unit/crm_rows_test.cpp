#include "core/crm_rows.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

csv_record rec(std::vector<std::string> fields, size_t line = 2) {
  return {std::move(fields), line};
}

using row = std::vector<std::optional<std::string>>;

} // namespace

TEST(crm_rows, header_maps_user_email_to_customer_email_in_any_order) {
  crm_row_mapper m;
  ASSERT_FALSE(m.header(rec({"company_name", "User_Email ", "region", "industry"}, 1)));
  row r;
  ASSERT_FALSE(m.map(rec({"Furry Arms, Inc", "a@x", "USA", "Education"}), r));
  EXPECT_EQ(r, (row{"a@x", "Education", "USA", "Furry Arms, Inc"}));
}

TEST(crm_rows, absent_columns_are_null_and_extra_ones_ignored) {
  crm_row_mapper m;
  ASSERT_FALSE(m.header(rec({"user_email", "phone", "industry"}, 1)));
  EXPECT_EQ(m.ignored_columns(), (std::vector<std::string>{"phone"}));
  row r;
  ASSERT_FALSE(m.map(rec({"a@x", "555", "Mining"}), r));
  EXPECT_EQ(r, (row{"a@x", "Mining", std::nullopt, std::nullopt}));
}

TEST(crm_rows, header_without_email_is_an_error) {
  crm_row_mapper m;
  auto err = m.header(rec({"industry", "region"}, 1));
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("no user_email column"), std::string::npos);
}

TEST(crm_rows, repeated_header_column_is_an_error) {
  crm_row_mapper m;
  EXPECT_TRUE(m.header(rec({"user_email", "region", "REGION"}, 1)));
}

TEST(crm_rows, wrong_field_count_names_the_line) {
  crm_row_mapper m;
  ASSERT_FALSE(m.header(rec({"user_email", "industry"}, 1)));
  row r;
  auto err = m.map(rec({"a@x", "Edu", "extra"}, 7), r);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->line, 7u);
  EXPECT_EQ(err->message, "expected 2 fields as in the header, found 3");
}

TEST(crm_rows, values_over_200_characters_and_invalid_utf8_are_errors) {
  crm_row_mapper m;
  ASSERT_FALSE(m.header(rec({"user_email", "industry"}, 1)));
  row r;
  std::string accented;
  for (int i = 0; i < 200; ++i)
    accented += "\xC3\xA9"; // 200 characters, 400 bytes: fits
  EXPECT_FALSE(m.map(rec({"a@x", accented}), r));
  auto long_err = m.map(rec({"a@x", accented + "x"}), r);
  ASSERT_TRUE(long_err);
  EXPECT_EQ(long_err->message, "industry: 201 characters, more than the 200 the column holds");
  auto utf_err = m.map(rec({"a@\xFF", "x"}), r);
  ASSERT_TRUE(utf_err);
  EXPECT_EQ(utf_err->message, "customer_email: not valid UTF-8 text");
}
