#include "core/event_files.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace scpipe;

namespace {

struct read_result {
  std::vector<event_text> events;
  std::optional<event_file_error> error;
};

read_result read(event_file_format format, std::string_view text, size_t chunk = 0) {
  event_file_reader reader{format};
  read_result r;
  if (chunk == 0)
    chunk = text.size() + 1;
  for (size_t i = 0; i < text.size() && !r.error; i += chunk)
    r.error = reader.feed(text.substr(i, chunk), r.events);
  if (!r.error)
    r.error = reader.finish(r.events);
  return r;
}

std::vector<std::string> texts(const read_result& r) {
  std::vector<std::string> out;
  for (const auto& e : r.events)
    out.push_back(e.json);
  return out;
}

constexpr std::string_view header = "user_id,platform,event_time,event_type,first_event\n";

} // namespace

TEST(event_files, csv_is_recognised_by_its_extension_in_any_case) {
  EXPECT_EQ(event_file_format_of("events.csv"), event_file_format::csv);
  EXPECT_EQ(event_file_format_of("/data/EVENTS.CSV"), event_file_format::csv);
  EXPECT_EQ(event_file_format_of("events.Csv"), event_file_format::csv);
  EXPECT_EQ(event_file_format_of("events.json"), event_file_format::json);
  EXPECT_EQ(event_file_format_of("events.ndjson"), event_file_format::json);
  EXPECT_EQ(event_file_format_of("csv"), event_file_format::json);
  EXPECT_EQ(event_file_format_of("events.csv.gz"), event_file_format::json);
}

TEST(event_files, json_events_are_passed_on_verbatim_with_their_lines) {
  auto r =
      read(event_file_format::json, "[{\"user_id\": \"7\", \"x\": [1,2]},\n  {\"user_id\":8}\n]");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(texts(r),
            (std::vector<std::string>{"{\"user_id\": \"7\", \"x\": [1,2]}", "{\"user_id\":8}"}));
  EXPECT_EQ(r.events[0].line, 1u);
  EXPECT_EQ(r.events[1].line, 2u);
  auto nd = read(event_file_format::json, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n", 3);
  ASSERT_FALSE(nd.error);
  EXPECT_EQ(nd.events.size(), 3u);
  EXPECT_EQ(nd.events[2].line, 3u);
}

TEST(event_files, json_syntax_error_names_line_and_record) {
  auto r = read(event_file_format::json, "{\"a\":1}\n{\"a\":2,}\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_EQ(r.error->message.rfind("record 2: invalid JSON", 0), 0u) << r.error->message;
}

TEST(event_files, csv_rows_become_objects_of_strings_in_header_order) {
  auto r = read(event_file_format::csv,
                std::string{header}
                    + "7,ios,5/13/2019 3:11:04,login,FALSE\n"
                      "8,\"web, beta\",5/14/2019 10:00:00,\"say \"\"hi\"\"\",TRUE\n");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(texts(r),
            (std::vector<std::string>{
                R"({"user_id":"7","platform":"ios","event_time":"5/13/2019 3:11:04",)"
                R"("event_type":"login","first_event":"FALSE"})",
                R"({"user_id":"8","platform":"web, beta","event_time":)"
                R"("5/14/2019 10:00:00","event_type":"say \"hi\"","first_event":"TRUE"})"}));
  EXPECT_EQ(r.events[0].line, 2u);
  EXPECT_EQ(r.events[1].line, 3u);
}

TEST(event_files, csv_columns_may_come_in_any_order_and_empty_fields_are_left_out) {
  auto r =
      read(event_file_format::csv, "\xEF\xBB\xBF"
                                   "event_type,first_event,user_id,event_time,platform,session\r\n"
                                   "login,,7,5/13/2019 3:11:04,,s1\r\n");
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(texts(r),
            (std::vector<std::string>{R"({"event_type":"login","user_id":"7",)"
                                      R"("event_time":"5/13/2019 3:11:04","session":"s1"})"}));
}

TEST(event_files, csv_escapes_control_characters_so_the_json_is_valid) {
  auto r = read(event_file_format::csv,
                std::string{header} + "7,\"line\nbreak\ttab\",t,login,\"back\\slash\"\n");
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.events.size(), 1u);
  boost::json::error_code ec;
  auto v = boost::json::parse(r.events[0].json, ec);
  ASSERT_FALSE(ec) << r.events[0].json;
  EXPECT_EQ(v.at("platform").as_string(), "line\nbreak\ttab");
  EXPECT_EQ(v.at("first_event").as_string(), "back\\slash");
}

TEST(event_files, csv_header_lacking_columns_names_them) {
  auto r = read(event_file_format::csv, "user_id,event_type,platform\n7,login,ios\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 1u);
  EXPECT_EQ(r.error->message, "the header lacks event_time (expected a header: "
                              "user_id,platform,event_time,event_type,first_event)");
}

TEST(event_files, csv_header_with_a_repeated_or_unnamed_column_is_an_error) {
  auto twice =
      read(event_file_format::csv, "user_id,platform,event_time,event_type,first_event,user_id\n");
  ASSERT_TRUE(twice.error);
  EXPECT_EQ(twice.error->message, "header names column 'user_id' twice");
  auto unnamed =
      read(event_file_format::csv, "user_id,platform,event_time,event_type,first_event,\n");
  ASSERT_TRUE(unnamed.error);
  EXPECT_EQ(unnamed.error->message.rfind("header column 6 has no name", 0), 0u);
}

TEST(event_files, csv_row_with_another_field_count_names_its_line) {
  auto r = read(event_file_format::csv, std::string{header} + "7,ios,t,login,FALSE\n8,ios,t\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 3u);
  EXPECT_EQ(r.error->message, "expected 5 fields as in the header, found 3");
}

TEST(event_files, csv_field_that_is_not_utf8_names_line_and_column) {
  auto r = read(event_file_format::csv, std::string{header} + "7,i\xFFos,t,login,FALSE\n");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->line, 2u);
  EXPECT_EQ(r.error->message, "platform: not UTF-8 (byte 0xFF at offset 1) in the field");
}

TEST(event_files, empty_csv_and_empty_json_are_both_errors) {
  auto csv = read(event_file_format::csv, "");
  ASSERT_TRUE(csv.error);
  EXPECT_EQ(csv.error->message.rfind("the file is empty (expected a header: ", 0), 0u);
  auto json = read(event_file_format::json, " \n");
  ASSERT_TRUE(json.error);
  EXPECT_EQ(json.error->message.rfind("the file is empty (expected a JSON array", 0), 0u);
  auto empty_array = read(event_file_format::json, "[]");
  EXPECT_FALSE(empty_array.error);
  EXPECT_TRUE(empty_array.events.empty());
  auto header_only = read(event_file_format::csv, header);
  EXPECT_FALSE(header_only.error);
  EXPECT_TRUE(header_only.events.empty());
}

TEST(event_files, any_chunking_gives_the_same_events) {
  std::string text = std::string{header} + "7,ios,\"5/13/2019\n3:11:04\",login,FALSE\r\n8,,t,x,\n";
  auto whole = read(event_file_format::csv, text);
  ASSERT_FALSE(whole.error);
  for (size_t chunk : {1u, 2u, 7u}) {
    auto r = read(event_file_format::csv, text, chunk);
    ASSERT_FALSE(r.error) << r.error->message;
    EXPECT_EQ(texts(r), texts(whole)) << "chunk " << chunk;
  }
}

TEST(event_files, csv_header_is_case_insensitive_and_the_optional_fields_may_be_left_out) {
  auto r = read(event_file_format::csv,
                "User_ID, Event_Time ,EVENT_TYPE,Note\n7,5/13/2019 3:11:04,login,x\n");
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].json,
            R"({"user_id":"7","event_time":"5/13/2019 3:11:04","event_type":"login","Note":"x"})");
  auto missing = read(event_file_format::csv, "user_id,platform\n7,ios\n");
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->message.rfind("the header lacks event_time, event_type", 0), 0u)
      << missing.error->message;
}
