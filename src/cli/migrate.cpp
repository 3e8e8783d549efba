#include "cli/migrate.hpp"

#include "cli/interrupt.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/migrator.hpp"

#include <iostream>

namespace scpipe::cli {

int migrate_command(const invocation& inv) {
  try {
    db::connection conn{inv.cfg.database, "scpipe migrate"};
    command_interrupt on_signal{"scpipe migrate", conn.get(), inv.cfg.database};
    db::migrate_options options;
    if (inv.cfg.database.create_roles)
      options.scripts_after = db::embedded_roles();
    auto result = db::migrate(conn.get(), db::embedded_migrations(), options);
    for (const auto& name : result.applied)
      std::cout << "applied " << name << '\n';
    std::cout << result.applied.size() << " migration(s) applied, " << result.already_applied
              << " already applied\n";
    if (!result.scripts_applied.empty())
      std::cout << "roles scpipe_writer, scpipe_etl, scpipe_analyst: present, privileges granted "
                   "(database.create_roles)\n";
    log::info("migrate", "migrations up to date",
              {{"applied", result.applied.size()},
               {"already_applied", result.already_applied},
               {"roles", !result.scripts_applied.empty()}});
    return exit_success;
  } catch (const std::exception& e) {
    std::cerr << "scpipe migrate: " << e.what() << '\n';
    return exit_failure;
  }
}

} // namespace scpipe::cli
