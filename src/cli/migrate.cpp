#include "cli/migrate.hpp"

#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/migrator.hpp"

#include <iostream>

namespace scpipe::cli {

int migrate_command(const invocation& inv) {
  try {
    db::connection conn{inv.cfg.database, "scpipe migrate"};
    auto result = db::migrate(conn.get(), db::embedded_migrations());
    for (const auto& name : result.applied)
      std::cout << "applied " << name << '\n';
    std::cout << result.applied.size() << " migration(s) applied, " << result.already_applied
              << " already applied\n";
    log::info("migrate", "migrations up to date",
              {{"applied", result.applied.size()}, {"already_applied", result.already_applied}});
    return exit_success;
  } catch (const std::exception& e) {
    std::cerr << "scpipe migrate: " << e.what() << '\n';
    return exit_failure;
  }
}

} // namespace scpipe::cli
