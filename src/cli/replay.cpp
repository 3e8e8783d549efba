#include "cli/replay.hpp"

#include "cli/interrupt.hpp"
#include "core/hex.hpp"
#include "core/text.hpp"
#include "db/connection.hpp"
#include "db/replay.hpp"
#include "db/tables.hpp"

#include <pqxx/except>

#include <iostream>

namespace scpipe::cli {

int replay_rejected_command(const invocation& inv) {
  db::replay_options options;
  options.timezone = inv.cfg.etl.timezone;
  options.message_id = inv.value("--message");
  options.dry_run = inv.has("--dry-run");
  if (options.message_id && options.message_id->empty()) {
    std::cerr << "scpipe replay-rejected: --message needs a message id (see 'scpipe "
                 "replay-rejected --help')\n";
    return exit_usage;
  }
  try {
    db::connection conn{inv.cfg.database, "scpipe replay-rejected"};
    command_interrupt on_signal{"scpipe replay-rejected", conn.get(), inv.cfg.database};
    auto s = db::replay_rejected_events(conn.get(), options);
    if (s.unknown_message) {
      std::cerr << "scpipe replay-rejected: no dead letters of message id '"
                << readable_bytes(*options.message_id) << "' (" << db::tables::dead_letters
                << ".message_id); nothing was changed\n";
      return exit_failure;
    }
    bool dry = options.dry_run;
    std::cout << (dry ? "dry run, nothing changed: " : "") << "examined " << s.examined
              << plural(s.examined, " dead letter", " dead letters") << ": " << s.replayed_rows
              << (dry ? " would be replayed (" : " replayed (") << s.events_written
              << plural(s.events_written, " event", " events")
              << (dry ? " would be written), " : " written), ") << s.still_refused
              << (dry ? " would still be refused, " : " still refused, ") << s.skipped
              << " not replayable\n";
    for (const auto& [id, text] : s.notes)
      std::cout << "  rejected_event_id " << id << ": " << text << '\n';
    if (s.still_refused + s.skipped > s.notes.size())
      std::cout << "  ... " << s.still_refused + s.skipped - s.notes.size() << " more ("
                << db::tables::dead_letters << ".replay_note)\n";
    return exit_success;
  } catch (const db::connect_error& e) {
    std::cerr << "scpipe replay-rejected: " << e.what() << '\n';
  } catch (const pqxx::sql_error& e) {
    std::cerr << "scpipe replay-rejected: " << db::error_text(e) << "; nothing was changed\n";
  } catch (const std::exception& e) {
    std::cerr << "scpipe replay-rejected: " << db::one_line(e.what()) << "; nothing was changed\n";
  }
  return exit_failure;
}

} // namespace scpipe::cli
