// COPY's text format as staging_copy writes it (db/staging_copy): what the server reads back is
// checked by tests/integration/loaders_test.cpp.

#include "db/staging_copy.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

TEST(copy_line, fields_are_tab_separated_null_is_backslash_n_and_specials_are_escaped) {
  std::string line = "kept ";
  db::append_copy_line(line, {std::string{"a\tb\nc\rd\\e"}, std::nullopt, std::string{""},
                              std::string{"\\N"}, std::string{"plain \"quoted\" {x}"}});
  EXPECT_EQ(line, "kept a\\tb\\nc\\rd\\\\e\t\\N\t\t\\\\N\tplain \"quoted\" {x}");
}
