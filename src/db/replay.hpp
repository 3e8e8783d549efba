#pragma once

#include <pqxx/connection>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scpipe::db {

/// Which dead letters to replay, and how.
struct replay_options {
  /// Zone of event times written without one (etl.timezone).
  std::string timezone = "UTC";
  /// Only the dead letters of this message id.
  std::optional<std::string> message_id;
  /// Report what would happen, change nothing.
  bool dry_run = false;
};

/// What a replay did.
struct replay_summary {
  uint64_t examined = 0;       ///< dead-letter rows looked at
  uint64_t replayed_rows = 0;  ///< rows whose events now went in
  uint64_t events_written = 0; ///< events written to sc.sc_user_event
  uint64_t still_refused = 0;  ///< rows whose events are still refused (see replay_note)
  uint64_t skipped = 0;        ///< rows that cannot be replayed (no text kept, see replay_note)
  /// The first max_notes rows not replayed, with what their replay_note says (also on a dry
  /// run, which writes no note).
  std::vector<std::pair<int64_t, std::string>> notes;
  static constexpr size_t max_notes = 20;
  /// --message named an id that has no dead letters at all (replayed or not).
  bool unknown_message = false;
};

/// Validates the dead letters not yet replayed again with today's rules (core/event_payload,
/// the same code as the service) and, in one transaction, writes what is valid now to
/// sc.sc_user_event and marks those rows replayed (replayed_at), so a second replay never
/// writes an event twice. Rows still refused, by the rules or by the database (each row is
/// written under its own savepoint when any is refused), get the reason in replay_note and stay. A
/// whole-payload row (-1) of a message whose events were also dead-lettered one by one is
/// skipped: those events are replayed from their own rows.
replay_summary replay_rejected_events(pqxx::connection& conn, const replay_options& options);

} // namespace scpipe::db
