#include "cli/seed.hpp"

#include "cli/etl.hpp"
#include "cli/load.hpp"
#include "cli/migrate.hpp"
#include "cli/publish.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/report_reads.hpp"

#include <filesystem>
#include <iostream>

namespace scpipe::cli {

namespace {

constexpr const char* component = "seed";

/// One step of the seed job: a command of this binary with its arguments.
struct step {
  std::string title;
  int (*run)(const invocation&);
  std::vector<std::string> args;
  std::vector<std::string> flags = {};
};

/// Whether the staging tables already hold documents (the seed loads users once).
bool staging_has_documents(const database_config& database) {
  db::connection conn{database, "scpipe seed"};
  return db::staging_has_documents(conn.get());
}

} // namespace

int seed_command(const invocation& inv) {
  const std::string dir = inv.value("--dir").value_or("seed");
  auto file = [&](const char* name) { return (std::filesystem::path{dir} / name).string(); };
  for (auto name : {"users.json", "crm.csv", "users-later.ndjson", "crm-later.csv", "events.json",
                    "events.csv"})
    if (!std::filesystem::is_regular_file(file(name))) {
      std::cerr << "scpipe seed: " << file(name)
                << ": missing (the seed data lives in the repository's seed/; --dir=DIR names "
                   "another)\n";
      return exit_usage;
    }

  // The users arrive in two exports with an ETL after each, so some users change company (and
  // licence) between the two loads and sc.sc_user_hist has their earlier versions.
  std::cout << "seed: apply migrations\n" << std::flush;
  if (auto code = migrate_command(inv); code != exit_success)
    return code;
  std::vector<step> steps;
  bool load_users = true;
  try {
    load_users = !staging_has_documents(inv.cfg.database);
  } catch (const std::exception& e) {
    std::cerr << "scpipe seed: " << db::one_line(e.what()) << '\n';
    return exit_failure;
  }
  if (load_users) {
    steps.push_back({"load the first user export", load_users_command, {file("users.json")}});
    steps.push_back({"load the first CRM export", load_crm_command, {file("crm.csv")}});
    steps.push_back({"run the user ETL", etl_command, {}});
    steps.push_back(
        {"load the later user export", load_users_command, {file("users-later.ndjson")}});
    steps.push_back({"load the later CRM export", load_crm_command, {file("crm-later.csv")}});
    steps.push_back({"run the user ETL again", etl_command, {}});
  } else {
    std::cout << "seed: staging already holds user documents: the user exports are not loaded "
                 "again\n";
  }
  // Fixed ids: running the seed again is answered duplicate, nothing is written twice. A few
  // seed events are wrong on purpose; their rejections are reported, not an error.
  steps.push_back({"publish the events to " + inv.cfg.broker.endpoint,
                   publish_command,
                   {file("events.json"), file("events.csv")},
                   {"--id-prefix=scpipe-seed", "--allow-rejected"}});

  for (const auto& s : steps) {
    std::cout << "seed: " << s.title << '\n' << std::flush;
    invocation sub{inv.cfg, s.args, s.flags};
    if (auto code = s.run(sub); code != exit_success) {
      std::cerr << "scpipe seed: step '" << s.title << "' failed\n";
      return code;
    }
  }
  log::info(component, "seed job done");
  std::cout << "seed: done. Try: select * from sc.first_week_logins; (or scpipe report)\n";
  return exit_success;
}

} // namespace scpipe::cli
