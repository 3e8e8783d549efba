#include "core/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace scpipe;

namespace {

config parse_ok(std::string_view text, const env_map& env = {}) {
  auto result = parse_config(text, "test.toml", env);
  if (auto* errors = std::get_if<config_errors>(&result)) {
    ADD_FAILURE() << "unexpected errors: " << (*errors)[0];
    return {};
  }
  return std::get<config>(result);
}

config_errors parse_errors(std::string_view text, const env_map& env = {}) {
  auto result = parse_config(text, "test.toml", env);
  if (std::holds_alternative<config>(result)) {
    ADD_FAILURE() << "configuration was accepted";
    return {};
  }
  return std::get<config_errors>(result);
}

} // namespace

TEST(config, empty_text_gives_the_documented_defaults) {
  auto cfg = parse_ok("");
  EXPECT_EQ(cfg.database.url, "");
  EXPECT_EQ(cfg.database.connect_timeout_s, 5);
  EXPECT_EQ(cfg.log.level, "info");
  EXPECT_EQ(cfg.supervisor.restart_backoff_initial_ms, 100);
  EXPECT_EQ(cfg.supervisor.max_restarts, 5);
}

TEST(config, shipped_file_sets_every_key_to_its_default) {
  std::ifstream in{SCPIPE_SOURCE_DIR "/config/scpipe.toml"};
  ASSERT_TRUE(in) << "config/scpipe.toml missing";
  std::ostringstream text;
  text << in.rdbuf();
  auto shipped = parse_ok(text.str());
  EXPECT_EQ(describe(shipped), describe(config{}));
  for (const auto& key : config_keys()) {
    auto bare = key.name.substr(key.name.find('.') + 1);
    EXPECT_NE(text.str().find("\n" + bare + " = "), std::string::npos)
        << key.name << " is not documented in config/scpipe.toml";
  }
}

TEST(config, values_from_the_file_are_applied) {
  auto cfg = parse_ok("[database]\nurl = \"dbname=x\"\n[supervisor]\nmax_restarts = 9\n"
                      "[log]\nlevel = \"debug\"\n");
  EXPECT_EQ(cfg.database.url, "dbname=x");
  EXPECT_EQ(cfg.supervisor.max_restarts, 9);
  EXPECT_EQ(cfg.log.level, "debug");
}

TEST(config, unknown_key_is_an_error_naming_file_line_and_key) {
  auto errors = parse_errors("[database]\nurl = \"\"\nulr = \"x\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.toml:3: unknown key 'database.ulr'");
}

TEST(config, unknown_section_is_an_error_naming_its_line) {
  auto errors = parse_errors("[log]\nlevel = \"info\"\n\n[databse]\nurl = \"\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.toml:4: unknown section [databse]");
}

TEST(config, top_level_key_is_unknown) {
  auto errors = parse_errors("url = \"x\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.toml:1: unknown key 'url'");
}

TEST(config, wrong_type_names_the_key_and_what_was_given) {
  auto errors = parse_errors("[supervisor]\nmax_restarts = \"five\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.toml:2: supervisor.max_restarts: must be an integer in [0, 10000], "
                       "got string \"five\"");
}

TEST(config, boolean_is_not_taken_for_an_integer) {
  auto errors = parse_errors("[database]\nconnect_timeout_s = true\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("got boolean true"), std::string::npos) << errors[0];
}

TEST(config, out_of_range_value_names_the_range) {
  auto errors = parse_errors("[database]\nconnect_timeout_s = 0\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "test.toml:2: database.connect_timeout_s: must be in [1, 300], got 0");
}

TEST(config, level_outside_its_choices_is_an_error) {
  auto errors = parse_errors("[log]\nlevel = \"verbose\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "test.toml:2: log.level: must be one of debug, info, warn, error, got \"verbose\"");
}

TEST(config, every_problem_is_reported_not_just_the_first) {
  auto errors = parse_errors("[database]\nconnect_timeout_s = -1\nfoo = 1\n[log]\nlevel = 3\n");
  EXPECT_EQ(errors.size(), 3u);
}

TEST(config, toml_syntax_error_names_the_line) {
  auto errors = parse_errors("[database]\nurl = \"unterminated\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.toml:2: ", 0), 0u) << errors[0];
}

TEST(config, malformed_headers_and_stray_non_ascii_are_syntax_errors_naming_the_line) {
  // Found by fuzz/config_fuzz (with an upstream relative, "[[[1]]]"): they trip internal checks
  // of toml++ 3.3 (marzer/tomlplusplus#190, #295, #301), and must stay plain syntax errors with
  // the library production links.
  const std::pair<std::string, int> cases[] = {
      {"[ = 5\n", 1},
      {"[[[1]]]\n", 1},
      {"[log]\n\xc2\xa7 = 1\n", 2},
      {"[database]\nconnect_timeout_s = \xd0\x87"
       "1F\n",
       2},
  };
  for (const auto& [text, line] : cases) {
    auto errors = parse_errors(text);
    ASSERT_EQ(errors.size(), 1u) << text;
    auto prefix = "test.toml:" + std::to_string(line) + ": ";
    EXPECT_EQ(errors[0].rfind(prefix, 0), 0u) << errors[0];
  }
  // After a line-ending backslash in a multi-line string, a non-ASCII letter is text.
  EXPECT_EQ(parse_ok("[database]\nurl = \"\"\"\\\n\xc2\xa7\"\"\"\n").database.url, "\xc2\xa7");
}

TEST(config, environment_overrides_the_file) {
  auto cfg =
      parse_ok("[database]\nurl = \"dbname=file\"\n",
               {{"SCPIPE_DATABASE_URL", "dbname=env"}, {"SCPIPE_SUPERVISOR_MAX_RESTARTS", "7"}});
  EXPECT_EQ(cfg.database.url, "dbname=env");
  EXPECT_EQ(cfg.supervisor.max_restarts, 7);
}

TEST(config, environment_value_of_the_wrong_type_names_the_variable) {
  auto errors = parse_errors("", {{"SCPIPE_SUPERVISOR_MAX_RESTARTS", "7x"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "environment SCPIPE_SUPERVISOR_MAX_RESTARTS: supervisor.max_restarts: must be "
            "an integer in [0, 10000], got string \"7x\"");
}

TEST(config, environment_value_out_of_range_is_an_error) {
  auto errors = parse_errors("", {{"SCPIPE_DATABASE_CONNECT_TIMEOUT_S", "100000"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("must be in [1, 300], got 100000"), std::string::npos) << errors[0];
}

TEST(config, misspelt_environment_key_of_a_known_section_is_an_error) {
  auto errors = parse_errors("", {{"SCPIPE_DATABASE_ULR", "x"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "environment SCPIPE_DATABASE_ULR: unknown configuration key");
}

TEST(config, unrelated_environment_variables_are_ignored) {
  parse_ok("", {{"SCPIPE_HOME", "/x"}, {"PATH", "/bin"}});
}

TEST(config, backoff_maximum_below_initial_is_an_error) {
  auto errors = parse_errors(
      "[supervisor]\nrestart_backoff_initial_ms = 500\nrestart_backoff_max_ms = 100\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("restart_backoff_max_ms (100) must not be below"), std::string::npos);
}

TEST(config, missing_required_file_is_an_error_naming_it) {
  auto result = load_config("/nonexistent/scpipe.toml", true, {});
  ASSERT_TRUE(std::holds_alternative<config_errors>(result));
  EXPECT_EQ(std::get<config_errors>(result)[0].rfind("/nonexistent/scpipe.toml: cannot read", 0),
            0u);
}

TEST(config, missing_optional_file_means_defaults) {
  auto result = load_config("/nonexistent/scpipe.toml", false, {{"SCPIPE_LOG_LEVEL", "warn"}});
  ASSERT_TRUE(std::holds_alternative<config>(result));
  EXPECT_EQ(std::get<config>(result).log.level, "warn");
}

TEST(config, directory_or_device_as_configuration_file_is_an_error_not_defaults) {
  for (bool required : {true, false}) {
    auto dir = load_config("/tmp", required, {});
    ASSERT_TRUE(std::holds_alternative<config_errors>(dir));
    EXPECT_EQ(std::get<config_errors>(dir)[0], "/tmp: is a directory, not a configuration file");
    auto device = load_config("/dev/null", required, {});
    ASSERT_TRUE(std::holds_alternative<config_errors>(device));
    EXPECT_EQ(std::get<config_errors>(device)[0],
              "/dev/null: is not a regular file, not a configuration file");
  }
}

TEST(config, describe_hides_the_database_password) {
  config cfg;
  cfg.database.url = "postgresql://scpipe:hunter2@db:5432/warehouse";
  auto described = describe(cfg);
  EXPECT_EQ(described["database.url"], "postgresql://scpipe:****@db:5432/warehouse");
  // Each value keeps its type, so the start-up log shows numbers and booleans as such.
  EXPECT_EQ(described["broker.max_message_bytes"], config{}.broker.max_message_bytes);
  EXPECT_TRUE(described["database.create_roles"].is_bool());
}

TEST(config, time_zone_must_be_one_the_system_knows) {
  EXPECT_EQ(parse_ok("[etl]\ntimezone = \"Australia/Sydney\"\n").etl.timezone, "Australia/Sydney");
  auto unknown = parse_errors("[etl]\ntimezone = \"Mars/Olympus\"\n");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].rfind("test.toml:2: etl.timezone: unknown time zone \"Mars/Olympus\"", 0),
            0u)
      << unknown[0];
  auto odd = parse_errors("", {{"SCPIPE_ETL_TIMEZONE", "../../etc/passwd"}});
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_NE(odd[0].find("must be a time zone name"), std::string::npos) << odd[0];
  EXPECT_EQ(parse_errors("[etl]\ntimezone = \"\"\n").size(), 1u);
}

TEST(config, event_retention_is_empty_or_a_count_of_days_weeks_months_or_years) {
  EXPECT_EQ(parse_ok("").events.retention, "");
  EXPECT_EQ(parse_ok("[events]\nretention = \"13 months\"\n").events.retention, "13 months");
  EXPECT_EQ(parse_ok("[events]\nretention = \"1 day\"\n").events.retention, "1 day");
  for (const char* bad : {"13", "months", "0 days", "-1 days", "13 fortnights", "1 day; drop"}) {
    auto errors = parse_errors(std::string{"[events]\nretention = \""} + bad + "\"\n");
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_NE(errors[0].find("test.toml:2: events.retention: must be empty"), std::string::npos)
        << errors[0];
  }
  EXPECT_EQ(parse_errors("[events]\npartition_interval = \"hour\"\n").size(), 1u);
  EXPECT_EQ(parse_ok("[events]\npartition_interval = \"week\"\n").events.partition_interval,
            "week");
}

TEST(config, create_roles_is_a_boolean_from_the_file_or_the_environment) {
  EXPECT_FALSE(parse_ok("").database.create_roles);
  EXPECT_TRUE(parse_ok("[database]\ncreate_roles = true\n").database.create_roles);
  EXPECT_TRUE(parse_ok("", {{"SCPIPE_DATABASE_CREATE_ROLES", "true"}}).database.create_roles);
  EXPECT_FALSE(
      parse_ok("[database]\ncreate_roles = true\n", {{"SCPIPE_DATABASE_CREATE_ROLES", "false"}})
          .database.create_roles);
  auto quoted = parse_errors("[database]\ncreate_roles = \"yes\"\n");
  ASSERT_EQ(quoted.size(), 1u);
  EXPECT_EQ(quoted[0],
            "test.toml:2: database.create_roles: must be true or false, got string \"yes\"");
  auto env = parse_errors("", {{"SCPIPE_DATABASE_CREATE_ROLES", "1"}});
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env[0], "environment SCPIPE_DATABASE_CREATE_ROLES: database.create_roles: must be "
                    "true or false, got string \"1\"");
  EXPECT_EQ(describe(parse_ok("[database]\ncreate_roles = true\n"))["database.create_roles"], true);
}
