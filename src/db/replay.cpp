#include "db/replay.hpp"

#include "core/event_payload.hpp"
#include "core/hex.hpp"
#include "db/event_writer.hpp"

#include <pqxx/result>
#include <pqxx/transaction>

#include <vector>

namespace scpipe::db {

replay_summary replay_rejected_events(pqxx::connection& conn, const replay_options& options) {
  pqxx::work tx{conn, "replay_rejected"};
  tx.exec0("set local time zone " + tx.quote(options.timezone));
  // Locked, so two replays at once cannot both write a row's events.
  auto id_hex = options.message_id ? to_hex(*options.message_id) : std::string{};
  const char* id_param = options.message_id ? id_hex.c_str() : nullptr; // null: every message
  auto rows = tx.exec_params(
      "select r.rejected_event_id, r.raw_event, r.event_index, "
      "       r.event_index = -1 and exists (select from scpipe.rejected_event o "
      "                                      where o.message_id = r.message_id "
      "                                        and o.event_index >= 0) as covered "
      "from scpipe.rejected_event r "
      "where r.replayed_at is null and ($1::text is null or r.message_id = decode($1, 'hex')) "
      "order by r.rejected_event_id for update of r",
      id_param);
  replay_summary summary;
  std::vector<std::string> accepted_rows;
  auto note = [&](int64_t id, const std::string& text, bool replayed) {
    tx.exec_params("update scpipe.rejected_event set replay_note = $2, "
                   "replayed_at = case when $3 then now() else replayed_at end "
                   "where rejected_event_id = $1",
                   id, text, replayed);
  };
  for (const auto& row : rows) {
    ++summary.examined;
    auto id = row[0].as<int64_t>();
    if (row[1].is_null()) {
      ++summary.skipped;
      note(id, "not replayable: the event was not kept as text (too large or not UTF-8)", false);
      continue;
    }
    if (row[3].as<bool>()) {
      ++summary.skipped;
      note(id, "not replayed: this message's events are replayed from their own rows", false);
      continue;
    }
    auto content = decode_payload(row[1].as<std::string>());
    if (content.accepted == 0) {
      ++summary.still_refused;
      note(id, "still refused: " + content.rejections.at(0).reason, false);
      continue;
    }
    ++summary.replayed_rows;
    summary.events_written += content.accepted;
    note(id,
         "replayed " + std::to_string(content.accepted) + " events"
             + (content.rejected ? "; " + std::to_string(content.rejected)
                                       + " still refused: " + content.rejections.at(0).reason
                                 : std::string{}),
         true);
    accepted_rows.push_back(std::move(content.rows));
  }
  std::vector<std::string_view> texts(accepted_rows.begin(), accepted_rows.end());
  if (!texts.empty())
    copy_text(tx, "sc.sc_user_event", event_copy_columns, texts);
  if (options.dry_run)
    tx.abort();
  else
    tx.commit();
  return summary;
}

} // namespace scpipe::db
