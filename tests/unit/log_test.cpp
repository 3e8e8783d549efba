#include "core/log.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace scpipe;

namespace {

/// Captures what the logger writes by pointing it at a temporary file.
class log_capture {
public:
  log_capture() : file_{std::tmpfile()} {
    log::set_output_fd(fileno(file_));
  }
  ~log_capture() {
    log::set_output_fd(2);
    log::set_level(log::level::info);
    log::clear_secrets();
    std::fclose(file_);
  }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::ostringstream s;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;)
      s.write(buf, static_cast<std::streamsize>(n));
    return s.str();
  }

private:
  std::FILE* file_;
};

} // namespace

TEST(log, line_is_one_json_object_with_time_level_component_message_fields) {
  auto line = log::format_line(log::level::warn, "batcher", "batch cut", {{"rows", 42}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("level").as_string(), "warn");
  EXPECT_EQ(v.at("component").as_string(), "batcher");
  EXPECT_EQ(v.at("message").as_string(), "batch cut");
  EXPECT_EQ(v.at("fields").as_object().at("rows").as_int64(), 42);
  auto time = std::string{v.at("time").as_string()};
  EXPECT_EQ(time.size(), 24u) << time; // 2026-11-27T09:31:29.123Z
  EXPECT_EQ(time.back(), 'Z');
}

TEST(log, messages_with_quotes_and_newlines_stay_one_valid_line) {
  auto line = log::format_line(log::level::info, "x", "a \"quoted\"\nsecond line", {});
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_EQ(boost::json::parse(line).at("message").as_string(), "a \"quoted\"\nsecond line");
}

TEST(log, lines_below_the_level_are_dropped) {
  log_capture capture;
  log::set_level(log::level::warn);
  log::info("x", "not written");
  log::warn("x", "written");
  auto text = capture.text();
  EXPECT_EQ(text.find("not written"), std::string::npos);
  EXPECT_NE(text.find("written"), std::string::npos);
}

TEST(log, registered_secrets_never_reach_the_output) {
  log_capture capture;
  log::add_secret("hunter2");
  log::add_secret("quo\"te");
  log::error("db", "cannot connect with hunter2",
             {{"url", "postgresql://u:hunter2@h/d"}, {"p", "quo\"te"}});
  auto text = capture.text();
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("quo\\\"te"), std::string::npos) << text;
  EXPECT_NE(text.find("postgresql://u:****@h/d"), std::string::npos) << text;
}

TEST(log, level_names_round_trip) {
  for (auto lvl : {log::level::debug, log::level::info, log::level::warn, log::level::error})
    EXPECT_EQ(log::parse_level(log::to_string(lvl)), lvl);
  EXPECT_FALSE(log::parse_level("verbose"));
}

TEST(log, scrubbed_streams_hide_secrets_even_split_across_insertions) {
  log::add_secret("Sup3r%Secret");
  std::ostringstream sink;
  log::scrubbing_buffer buffer{sink.rdbuf()};
  std::ostream out{&buffer};
  out << "invalid percent-encoded token: \"Sup3r"
      << "%Secret\"" << std::flush;
  out << " and more\nprogress Sup3r%Secret\r";
  out << "tail without end "
      << "Sup3r%Secret";
  out.flush();
  EXPECT_EQ(sink.str(), "invalid percent-encoded token: \"****\" and more\nprogress ****\r"
                        "tail without end ****");
  EXPECT_EQ(log::scrubbed("x Sup3r%Secret y"), "x **** y");
  log::clear_secrets();
}

TEST(log, format_auto_is_text_on_a_terminal_and_json_elsewhere) {
  EXPECT_EQ(log::parse_format("auto", true), log::format::text);
  EXPECT_EQ(log::parse_format("auto", false), log::format::json);
  EXPECT_EQ(log::parse_format("json", true), log::format::json);
  EXPECT_EQ(log::parse_format("text", false), log::format::text);
  EXPECT_FALSE(log::parse_format("xml", false));
}

TEST(log, text_lines_read_as_time_level_component_message_and_fields) {
  log::add_secret("hunter2");
  auto line = log::format_text_line(
      log::level::warn, "db_writer", "writing a batch failed",
      {{"writer", 0}, {"error", "no route to hunter2\nhost"}, {"table", "sc.sc_user_event"}});
  log::clear_secrets();
  ASSERT_GT(line.size(), 25u);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(line[23], 'Z') << line;
  EXPECT_EQ(line.substr(25), "warn  db_writer: writing a batch failed writer=0 "
                             "error=\"no route to ****\\nhost\" table=sc.sc_user_event\n");
}

TEST(log, the_text_format_is_what_write_emits_when_set) {
  log_capture capture;
  log::set_format(log::format::text);
  log::info("service", "starting", {{"version", "1.2"}});
  log::set_format(log::format::json);
  log::info("service", "started");
  auto lines = capture.text();
  auto first = lines.substr(0, lines.find('\n'));
  auto second = lines.substr(first.size() + 1);
  EXPECT_NE(first.find(" info  service: starting version=1.2"), std::string::npos) << first;
  EXPECT_EQ(boost::json::parse(second).at("message").as_string(), "started");
}

TEST(log, command_messages_become_log_lines_of_their_command) {
  std::string component;
  auto parsed = [&](std::string_view line) {
    return boost::json::parse(log::command_line_as_log_line(line, component)).as_object();
  };
  auto etl = parsed("scpipe etl: cannot connect to \"db\"");
  EXPECT_EQ(etl.at("level").as_string(), "error");
  EXPECT_EQ(etl.at("component").as_string(), "etl");
  EXPECT_EQ(etl.at("message").as_string(), "cannot connect to \"db\"");
  auto more = parsed("  3 events: field 'user_id' is missing");
  EXPECT_EQ(more.at("component").as_string(), "etl");
  EXPECT_EQ(more.at("message").as_string(), "  3 events: field 'user_id' is missing");
  auto top = parsed("scpipe: bad configuration: x.toml:3: log.level: unknown");
  EXPECT_EQ(top.at("component").as_string(), "scpipe");
  EXPECT_EQ(top.at("message").as_string(), "bad configuration: x.toml:3: log.level: unknown");
  auto other = parsed("usage: scpipe [--config FILE] COMMAND");
  EXPECT_EQ(other.at("component").as_string(), "scpipe");
  EXPECT_EQ(other.at("message").as_string(), "usage: scpipe [--config FILE] COMMAND");
}

TEST(log, a_log_line_buffer_writes_json_lines_only_in_the_json_format) {
  std::ostringstream sink;
  log::scrubbing_buffer buffer{sink.rdbuf(), true};
  std::ostream out{&buffer};
  log::set_format(log::format::json);
  out << "scpipe replay-rejected: no dead letters\n\nscpipe publish: partial" << std::flush;
  auto lines = sink.str();
  log::set_format(log::format::text);
  sink.str("");
  out << "scpipe etl: plain\n" << std::flush;
  EXPECT_EQ(sink.str(), "scpipe etl: plain\n");
  log::set_format(log::format::json);
  auto newline = lines.find('\n');
  ASSERT_NE(newline, std::string::npos) << lines;
  EXPECT_EQ(boost::json::parse(lines.substr(0, newline)).at("component").as_string(),
            "replay-rejected");
  EXPECT_EQ(boost::json::parse(lines.substr(newline + 1)).at("message").as_string(), "partial");
}
