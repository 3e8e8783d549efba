#include "cli/replay.hpp"

#include "db/connection.hpp"
#include "db/replay.hpp"

#include <pqxx/except>

#include <iostream>

namespace scpipe::cli {

int replay_rejected_command(const invocation& inv) {
  db::replay_options options;
  options.timezone = inv.cfg.etl.timezone;
  options.message_id = inv.value("--message");
  options.dry_run = inv.has("--dry-run");
  try {
    db::connection conn{inv.cfg.database, "scpipe replay-rejected"};
    auto s = db::replay_rejected_events(conn.get(), options);
    std::cout << (options.dry_run ? "dry run, nothing changed: " : "") << "examined " << s.examined
              << " dead letters: " << s.replayed_rows << " replayed (" << s.events_written
              << " events written), " << s.still_refused << " still refused, " << s.skipped
              << " not replayable"
              << (s.still_refused + s.skipped ? " (see scpipe.rejected_event.replay_note)" : "")
              << '\n';
    return exit_success;
  } catch (const db::connect_error& e) {
    std::cerr << "scpipe replay-rejected: " << e.what() << '\n';
  } catch (const pqxx::sql_error& e) {
    std::cerr << "scpipe replay-rejected: " << db::one_line(e.what());
    if (auto hint = db::migration_hint(db::sqlstate_of(e)); !hint.empty())
      std::cerr << " (" << hint << ")";
    std::cerr << "; nothing was changed\n";
  } catch (const std::exception& e) {
    std::cerr << "scpipe replay-rejected: " << db::one_line(e.what()) << "; nothing was changed\n";
  }
  return exit_failure;
}

} // namespace scpipe::cli
