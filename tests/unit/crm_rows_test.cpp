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

TEST(crm_rows, extra_columns_are_ignored) {
  crm_row_mapper m;
  ASSERT_FALSE(m.header(rec({"user_email", "phone", "industry", "region", "company_name"}, 1)));
  EXPECT_EQ(m.ignored_columns(), (std::vector<std::string>{"phone"}));
  row r;
  ASSERT_FALSE(m.map(rec({"a@x", "555", "Mining", "USA", "Acme"}), r));
  EXPECT_EQ(r, (row{"a@x", "Mining", "USA", "Acme"}));
}

TEST(crm_rows, header_missing_a_mapped_column_is_refused_naming_it) {
  crm_row_mapper m;
  auto err = m.header(rec({"user_email", "industry", "region"}, 1));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->line, 1u);
  EXPECT_EQ(err->message, "the header has no company_name column (expected user_email, "
                          "industry, region, company_name)");
  crm_row_mapper two;
  auto both = two.header(rec({"user_email", "region"}, 1));
  ASSERT_TRUE(both);
  EXPECT_NE(both->message.find("no industry, company_name columns"), std::string::npos)
      << both->message;
}

TEST(crm_rows, header_without_email_is_an_error) {
  crm_row_mapper m;
  auto err = m.header(rec({"industry", "region"}, 1));
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("no user_email, company_name columns"), std::string::npos)
      << err->message;
}

TEST(crm_rows, repeated_header_column_is_an_error) {
  crm_row_mapper m;
  EXPECT_TRUE(m.header(rec({"user_email", "region", "REGION"}, 1)));
}

TEST(crm_rows, wrong_field_count_names_the_line) {
  crm_row_mapper m;
  ASSERT_FALSE(m.header(rec({"user_email", "industry", "region", "company_name"}, 1)));
  row r;
  auto err = m.map(rec({"a@x", "Edu", "USA", "Acme", "extra"}, 7), r);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->line, 7u);
  EXPECT_EQ(err->message, "expected 4 fields as in the header, found 5");
}

TEST(crm_rows, values_over_200_characters_and_invalid_utf8_are_errors) {
  crm_row_mapper m;
  ASSERT_FALSE(m.header(rec({"user_email", "industry", "region", "company_name"}, 1)));
  row r;
  std::string accented;
  for (int i = 0; i < 200; ++i)
    accented += "\xC3\xA9"; // 200 characters, 400 bytes: fits
  EXPECT_FALSE(m.map(rec({"a@x", accented, "", ""}), r));
  auto long_err = m.map(rec({"a@x", accented + "x", "", ""}), r);
  ASSERT_TRUE(long_err);
  EXPECT_EQ(long_err->message, "industry: 201 characters, more than the 200 the column holds");
  auto utf_err = m.map(rec({"a@\xFF", "x", "", ""}), r);
  ASSERT_TRUE(utf_err);
  EXPECT_EQ(utf_err->message, "customer_email: not UTF-8 (byte 0xFF at offset 2) in the field");
}
