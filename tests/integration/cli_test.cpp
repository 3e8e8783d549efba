// The scpipe binary's command line: help, exit codes, configuration errors, secrets.

#include "support/database.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

using namespace scpipe;
using test::run;

namespace {

/// The commands of docs/cli.md.
const std::vector<std::string> contract_commands = {
    "run",     "migrate", "load-users",      "load-crm", "etl",
    "publish", "seed",    "replay-rejected", "keygen",   "report"};

} // namespace

TEST(cli, help_lists_every_command_of_the_contract) {
  auto r = run({SCPIPE_BINARY, "--help"});
  EXPECT_EQ(r.code, 0);
  for (const auto& name : contract_commands)
    EXPECT_NE(r.out.find("\n  " + name + " "), std::string::npos) << name << " missing:\n" << r.out;
}

TEST(cli, the_help_and_docs_cli_md_name_the_same_commands) {
  auto help = run({SCPIPE_BINARY, "--help"}).out;
  auto doc = test::read_file(std::string{SCPIPE_SOURCE_DIR} + "/docs/cli.md");
  size_t listed = 0;
  for (const auto& line : test::lines(help.substr(help.find("Commands:"))))
    if (line.starts_with("  ") && line[2] != ' ' && line[2] != '-') {
      auto name = line.substr(2, line.find(' ', 2) - 2);
      ++listed;
      EXPECT_NE(doc.find("| `" + name), std::string::npos) << name << " is not in docs/cli.md";
    }
  EXPECT_EQ(listed, contract_commands.size()) << help;
}

TEST(cli, every_command_has_its_own_help) {
  for (const auto& name : contract_commands) {
    auto r = run({SCPIPE_BINARY, name, "--help"});
    EXPECT_EQ(r.code, 0) << name;
    EXPECT_EQ(r.out.rfind("Usage: scpipe " + name + " [--config FILE]", 0), 0u) << r.out;
  }
}

TEST(cli, no_command_prints_usage_and_exits_2) {
  auto r = run({SCPIPE_BINARY});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("Usage: scpipe"), std::string::npos);
}

TEST(cli, unknown_command_and_option_exit_2_naming_them) {
  auto cmd = run({SCPIPE_BINARY, "frobnicate"});
  EXPECT_EQ(cmd.code, 2);
  EXPECT_NE(cmd.err.find("unknown command 'frobnicate'"), std::string::npos) << cmd.err;
  auto opt = run({SCPIPE_BINARY, "migrate", "--verbose"});
  EXPECT_EQ(opt.code, 2);
  EXPECT_NE(opt.err.find("unknown option '--verbose'"), std::string::npos) << opt.err;
  auto args = run({SCPIPE_BINARY, "migrate", "extra"});
  EXPECT_EQ(args.code, 2);
}

TEST(cli, bad_configuration_file_exits_2_naming_file_line_and_key) {
  test::scratch_files files;
  auto path = files.write("scpipe.toml", "[supervisor]\nmax_restarts = -3\n");
  auto r = run({SCPIPE_BINARY, "migrate", "--config", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(path + ":2: supervisor.max_restarts: must be in [0, 10000], got -3"),
            std::string::npos)
      << r.err;
}

TEST(cli, missing_explicit_configuration_file_exits_2) {
  auto r = run({SCPIPE_BINARY, "run", "--config", "/nonexistent.toml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("/nonexistent.toml: cannot read configuration file"), std::string::npos)
      << r.err;
}

TEST(cli, bad_environment_override_exits_2_naming_the_variable) {
  auto r = run({SCPIPE_BINARY, "run"}, {{"SCPIPE_LOG_LEVEL", "loud"}});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("environment SCPIPE_LOG_LEVEL: log.level"), std::string::npos) << r.err;
}

TEST(cli, database_password_never_reaches_the_log_or_errors) {
  // A reachable database with the password in the URL: the service logs its configuration.
  test::test_database db;
  const char* password = std::getenv("PGPASSWORD");
  ASSERT_TRUE(password && *password) << "scripts/test provides PGPASSWORD";
  std::string host = std::getenv("PGHOST") ? std::getenv("PGHOST") : "localhost";
  std::string port = std::getenv("PGPORT") ? std::getenv("PGPORT") : "5432";
  std::string user = std::getenv("PGUSER") ? std::getenv("PGUSER") : "postgres";
  auto url = "postgresql://" + user + ":" + password + "@" + host + ":" + port + "/" + db.name();
  test::process service{{SCPIPE_BINARY, "run"}, {{"SCPIPE_DATABASE_URL", url}, {"PGPASSWORD", ""}}};
  ASSERT_TRUE(service.wait_for_stderr("\"message\":\"starting\"", std::chrono::seconds{10}))
      << service.err();
  service.signal(SIGTERM);
  EXPECT_EQ(service.wait(std::chrono::seconds{10}), 0);
  auto migrate =
      run({SCPIPE_BINARY, "migrate"}, {{"SCPIPE_DATABASE_URL", url}, {"PGPASSWORD", ""}});
  EXPECT_EQ(migrate.code, 0) << migrate.err;
  // An unreachable one: the error names the target, without the password.
  auto bad = run({SCPIPE_BINARY, "migrate"},
                 {{"SCPIPE_DATABASE_URL", "postgresql://u:Sup3rS3cret@127.0.0.1:1/x"}});
  EXPECT_EQ(bad.code, 1);
  auto everything = service.err() + migrate.out + migrate.err + bad.out + bad.err;
  EXPECT_EQ(everything.find(password), std::string::npos) << everything;
  EXPECT_EQ(everything.find("Sup3rS3cret"), std::string::npos) << everything;
  EXPECT_NE(service.err().find(user + ":****@"), std::string::npos) << service.err();
  EXPECT_NE(bad.err.find("postgresql://u:****@127.0.0.1:1/x"), std::string::npos) << bad.err;
}

TEST(cli, password_with_a_bad_percent_escape_reaches_no_command_output) {
  // A raw '%' in the password makes libpq quote the password in its own error; a malformed
  // IPv6 host makes it quote the whole URL. Neither may show the password on any output.
  test::scratch_files files;
  auto users = files.write("u.json", "[]");
  auto crm = files.write("c.csv", "user_email,industry,region,company_name\n");
  for (std::string url : {"postgresql://postgres:Sup3r%Secret@127.0.0.1:1/x",
                          "postgresql://postgres:Sup3r%Secret@[::1"}) {
    for (std::vector<std::string> argv :
         {std::vector<std::string>{SCPIPE_BINARY, "migrate"},
          {SCPIPE_BINARY, "etl"},
          {SCPIPE_BINARY, "load-users", users},
          {SCPIPE_BINARY, "load-crm", crm},
          {SCPIPE_BINARY, "report", "--out=" + files.write("dir", "") + ".d"},
          {SCPIPE_BINARY, "replay-rejected"},
          {SCPIPE_BINARY, "seed", "--dir=" + std::string{SCPIPE_SOURCE_DIR} + "/seed"}}) {
      auto r = run(argv, {{"SCPIPE_DATABASE_URL", url}});
      EXPECT_NE(r.code, 0) << argv[1];
      EXPECT_EQ((r.out + r.err).find("Secret"), std::string::npos) << argv[1] << ":\n" << r.err;
      EXPECT_NE(r.err.find("****"), std::string::npos) << argv[1] << " names what failed:\n"
                                                       << r.err;
    }
  }
}

TEST(cli, version_is_printed_and_keygen_refuses_an_empty_name) {
  auto v = run({SCPIPE_BINARY, "--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("scpipe ", 0), 0u) << v.out;
  auto k = run({SCPIPE_BINARY, "keygen", ""});
  EXPECT_EQ(k.code, 2) << k.err;
  EXPECT_NE(k.err.find("NAME must name the files to write"), std::string::npos) << k.err;
}

TEST(cli, configuration_that_is_a_directory_exits_2_instead_of_running_on_defaults) {
  auto r = run({SCPIPE_BINARY, "migrate", "--config", "/tmp"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("/tmp: is a directory, not a configuration file"), std::string::npos)
      << r.err;
}
