#include "core/csv_reader.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

struct read_result {
  std::vector<csv_record> records;
  std::optional<csv_error> error;
};

read_result read(std::string_view text, size_t chunk = 0) {
  csv_reader reader;
  read_result r;
  if (chunk == 0)
    chunk = text.size() + 1;
  for (size_t i = 0; i < text.size() && !r.error; i += chunk)
    r.error = reader.feed(text.substr(i, chunk), r.records);
  if (!r.error)
    r.error = reader.finish(r.records);
  return r;
}

using fields = std::vector<std::string>;

} // namespace

TEST(csv_reader, quoted_fields_hold_commas_quotes_and_line_breaks) {
  auto r = read("a,b,c\nx,\"Furry Arms, Inc\",\"say \"\"hi\"\"\"\n\"multi\nline\",2,3\nlast,4,5\n");
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[1].fields, (fields{"x", "Furry Arms, Inc", "say \"hi\""}));
  EXPECT_EQ(r.records[2].fields, (fields{"multi\nline", "2", "3"}));
  EXPECT_EQ(r.records[2].line, 3u);
  EXPECT_EQ(r.records[3].line, 5u);
}

TEST(csv_reader, crlf_bom_blank_lines_and_no_final_newline) {
  auto r = read("\xEF\xBB\xBFuser_email,industry\r\n\r\na@x,Edu\r\nb@x,\"\"");
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].fields, (fields{"user_email", "industry"}));
  EXPECT_EQ(r.records[1].fields, (fields{"a@x", "Edu"}));
  EXPECT_EQ(r.records[1].line, 3u);
  EXPECT_EQ(r.records[2].fields, (fields{"b@x", ""}));
}

TEST(csv_reader, empty_fields_are_kept) {
  auto r = read(",,\n");
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (fields{"", "", ""}));
}

TEST(csv_reader, any_chunking_gives_the_same_records) {
  std::string text = "\xEF\xBB\xBF"
                     "a,b\r\n\"x,\"\"y\"\"\r\nz\",w\r\n1,2";
  auto whole = read(text);
  ASSERT_FALSE(whole.error);
  for (size_t chunk : {1u, 2u, 5u}) {
    auto r = read(text, chunk);
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.records.size(), whole.records.size());
    for (size_t i = 0; i < r.records.size(); ++i) {
      EXPECT_EQ(r.records[i].fields, whole.records[i].fields) << "chunk " << chunk;
      EXPECT_EQ(r.records[i].line, whole.records[i].line) << "chunk " << chunk;
    }
  }
}

TEST(csv_reader, unterminated_quote_names_the_line_it_starts_on) {
  auto r = read("a,b\n1,2\n3,\"never closed\n4,5\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 3u);
  EXPECT_EQ(r.error->message, "a quoted field starting here is never closed");
}

TEST(csv_reader, quote_inside_an_unquoted_field_is_an_error) {
  auto r = read("a,b\n1,x\"y\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
}

TEST(csv_reader, text_after_a_closing_quote_is_an_error) {
  auto r = read("a,b\n\"x\"y,2\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_EQ(r.error->message, "unexpected character after a closing quote");
}

TEST(csv_reader, record_over_the_size_limit_is_an_error_not_unbounded_memory) {
  csv_reader reader{32};
  std::vector<csv_record> records;
  EXPECT_FALSE(reader.feed("a,b\n1,\"open", records));
  auto err = reader.feed(std::string(100, 'x'), records);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->line, 2u);
  EXPECT_NE(err->message.find("longer than 32 bytes"), std::string::npos) << err->message;
}
