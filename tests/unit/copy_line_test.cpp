// COPY's text format as the loaders write it (db/staging_copy, db/staged_documents): what the
// server reads back is checked by tests/integration/loaders_test.cpp.

#include "db/staged_documents.hpp"
#include "db/staging_copy.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

TEST(copy_line, fields_are_tab_separated_null_is_backslash_n_and_specials_are_escaped) {
  std::string line = "kept ";
  db::append_copy_line(line, {std::string{"a\tb\nc\rd\\e"}, std::nullopt, std::string{""},
                              std::string{"\\N"}, std::string{"plain \"quoted\" {x}"}});
  EXPECT_EQ(line, "kept a\\tb\\nc\\rd\\\\e\t\\N\t\t\\\\N\tplain \"quoted\" {x}");
}

TEST(copy_line, rows_are_added_as_lines_and_counted) {
  db::copy_lines lines;
  lines.add({std::string{"a"}, std::nullopt});
  lines.add({std::string{"b\nc"}, std::string{""}});
  EXPECT_EQ(lines.text, "a\t\\N\nb\\nc\t\n");
  EXPECT_EQ(lines.rows, 2u);
}

TEST(copy_line, a_document_without_staged_fields_leaves_them_null) {
  std::string out;
  db::append_staged_document_line(out, "{\"user_id\": \"x\\ty\"}", std::nullopt);
  EXPECT_EQ(out, "{\"user_id\": \"x\\\\ty\"}"
                 "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n");
}

TEST(copy_line, staged_arrays_quote_every_element_and_escape_for_the_array_and_for_copy) {
  staged_user u;
  u.user_id = 42;
  u.user_email = "a@b.c";
  u.on_trial = true;
  u.active = false;
  u.signup_ts = "2019-01-02 03:04:05";
  u.checklists.push_back({"c1", std::string{"say \"hi\""}, std::string{"2019-01-02 00:00:00"}, {}});
  u.checklists.push_back({"c\\2", std::string{"tab\there"}, std::nullopt, {}});
  u.inspections.push_back({"i1", {}, std::string{"2019-01-03 00:00:00+10:00"}, std::nullopt});
  std::string out = "kept ";
  db::append_staged_document_line(out, "{}", u);
  EXPECT_EQ(out, "kept {}\t42\ta@b.c\tt\tf\t2019-01-02 03:04:05"
                 "\t{\"c1\",\"c\\\\\\\\2\"}"                 // c\2 -> "c\\2" -> COPY doubles
                 "\t{\"say \\\\\"hi\\\\\"\",\"tab\\there\"}" // a quote takes \, doubled
                 "\t{\"2019-01-02 00:00:00\",NULL}"
                 "\t{\"i1\"}\t{\"2019-01-03 00:00:00+10:00\"}\t{NULL}\n");
}
