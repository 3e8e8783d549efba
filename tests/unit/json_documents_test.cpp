#include "core/json_documents.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

struct split_result {
  std::vector<json_document> docs;
  std::optional<json_stream_error> error;
};

/// Feeds `text` in chunks of `chunk` bytes (0: all at once).
split_result split(std::string_view text, size_t chunk = 0) {
  json_document_splitter s;
  split_result r;
  if (chunk == 0)
    chunk = text.size() + 1;
  for (size_t i = 0; i < text.size() && !r.error; i += chunk)
    r.error = s.feed(text.substr(i, chunk), r.docs);
  if (!r.error)
    r.error = s.finish(r.docs);
  return r;
}

std::vector<std::string> texts(const split_result& r) {
  std::vector<std::string> out;
  for (const auto& d : r.docs)
    out.push_back(d.text);
  return out;
}

} // namespace

TEST(json_documents, array_elements_are_documents_exactly_as_written) {
  auto r = split("[{\"user_id\": \"7\"},\n {\"user_id\": 8, \"a\": [1, {\"b\": 2}]}\n]\n");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(texts(r), (std::vector<std::string>{"{\"user_id\": \"7\"}",
                                                "{\"user_id\": 8, \"a\": [1, {\"b\": 2}]}"}));
  EXPECT_EQ(r.docs[1].line, 2u);
  EXPECT_EQ(r.docs[1].record, 2u);
}

TEST(json_documents, ndjson_and_pretty_printed_objects_one_after_another) {
  auto r = split("{\"a\":1}\n{\"a\":2}\n\n{\n  \"a\": 3\n}\n");
  ASSERT_FALSE(r.error);
  EXPECT_EQ(texts(r), (std::vector<std::string>{"{\"a\":1}", "{\"a\":2}", "{\n  \"a\": 3\n}"}));
  EXPECT_EQ(r.docs[2].line, 4u);
}

TEST(json_documents, braces_and_escaped_quotes_inside_strings_do_not_split) {
  auto text = R"([{"s": "a } ] { [ \" \\"}, {"t": "\\\"}"}])";
  auto r = split(text);
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.docs.size(), 2u);
  EXPECT_EQ(r.docs[0].text, R"({"s": "a } ] { [ \" \\"})");
}

TEST(json_documents, any_chunking_gives_the_same_documents) {
  std::string text =
      "\xEF\xBB\xBF[{\"a\": \"x,}\"}, {\"b\": [1,2,{\"c\":\"\\\"\"}]},\n{\"d\": null}]";
  auto whole = split(text);
  ASSERT_FALSE(whole.error);
  for (size_t chunk : {1u, 2u, 3u, 7u}) {
    auto r = split(text, chunk);
    ASSERT_FALSE(r.error) << "chunk " << chunk << ": " << r.error->message;
    EXPECT_EQ(texts(r), texts(whole)) << "chunk " << chunk;
  }
}

TEST(json_documents, empty_array_has_no_documents) {
  auto r = split(" [ ] \n");
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.docs.empty());
}

TEST(json_documents, syntax_error_inside_a_document_names_its_line_and_record) {
  auto r = split("[{\"a\": 1},\n{\"a\": 2},\n{\"a\": 3,\n \"b\": tru}]");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 4u);
  EXPECT_EQ(r.error->record, 3u);
  EXPECT_EQ(r.error->message.rfind("invalid JSON (", 0), 0u) << r.error->message;
  EXPECT_NE(r.error->message.find("right after \"{\"a\": 3,  \"b\": \""), std::string::npos)
      << r.error->message;
}

TEST(json_documents, trailing_comma_is_an_error) {
  auto r = split("[{\"a\": 1},\n]");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_EQ(r.error->message, "expected a JSON object, found ']'");
}

TEST(json_documents, missing_comma_is_an_error) {
  auto r = split("[{\"a\": 1} {\"a\": 2}]");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "expected ',' or ']' after record 1, found '{'");
}

TEST(json_documents, element_that_is_not_an_object_is_an_error) {
  auto r = split("[{\"a\": 1}, 42]");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->record, 2u);
  EXPECT_EQ(r.error->message, "expected a JSON object, found '4'");
}

TEST(json_documents, truncated_file_is_an_error) {
  auto r = split("[{\"a\": 1}, {\"a\": \"unterminated");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "the file ends inside record 2 (in a string)");
  auto open_array = split("[{\"a\": 1}");
  ASSERT_TRUE(open_array.error);
  EXPECT_EQ(open_array.error->message, "the file ends before the array's closing ']'");
}

TEST(json_documents, content_after_the_array_is_an_error) {
  auto r = split("[{\"a\": 1}]\n{\"a\": 2}");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
}

TEST(json_documents, invalid_utf8_is_an_error) {
  auto r = split("{\"a\": \"\xC3\x28\"}");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->record, 1u);
}

TEST(json_documents, document_over_the_size_limit_is_an_error_not_unbounded_memory) {
  json_document_splitter s{64};
  std::vector<json_document> docs;
  EXPECT_FALSE(s.feed("[{\"a\": 1},\n{\"b\": \"", docs));
  auto err = s.feed(std::string(100, 'x'), docs);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->line, 2u);
  EXPECT_EQ(err->record, 2u);
  EXPECT_NE(err->message.find("larger than 64 bytes"), std::string::npos) << err->message;
}

TEST(json_documents, ndjson_line_cut_short_in_a_string_is_reported_at_that_line) {
  std::string text = "{\"user_id\": 1}\n{\"user_id\": 2, \"user_em\n";
  for (int i = 3; i <= 100000; ++i)
    text += "{\"user_id\": " + std::to_string(i) + "}\n";
  for (size_t chunk : {size_t{0}, size_t{7}}) {
    auto r = split(text, chunk);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->line, 2u);
    EXPECT_EQ(r.error->record, 2u);
    EXPECT_EQ(r.error->message, "the line ends inside a string (is it cut short?)");
  }
}

TEST(json_documents, ndjson_line_cut_short_between_values_is_reported_at_that_line) {
  std::string text = "{\"user_id\": 1}\n{\"user_id\": 2, \"a\": {\"b\": 1\n";
  for (int i = 3; i <= 1000; ++i)
    text += "{\"user_id\": " + std::to_string(i) + "}\n";
  auto r = split(text);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_EQ(r.error->record, 2u);
  EXPECT_EQ(r.error->message.rfind("not complete on its line", 0), 0u) << r.error->message;
}

TEST(json_documents, pretty_printed_records_keep_the_line_where_the_scan_failed) {
  auto r = split("{\n \"a\": 1\n}\n{\n \"a\": 2,\n \"b\": tru\n}\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 6u);
  EXPECT_EQ(r.error->message.rfind("invalid JSON (", 0), 0u) << r.error->message;
}

TEST(json_documents, bytes_that_are_not_utf8_are_named_in_hex_with_their_offset) {
  auto r = split("{\"a\": 1}\n{\"b\": \"lo\xFFgin\"}\n", 5);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_EQ(r.error->record, 2u);
  EXPECT_EQ(r.error->message, "not UTF-8 (byte 0xFF at offset 18)");
}

TEST(json_documents, an_error_before_a_record_starts_keeps_its_own_line) {
  auto r = split("{\"a\": 1}\n]\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_EQ(r.error->record, 2u);
  EXPECT_EQ(r.error->message, "expected a JSON object, found ']'");
}
