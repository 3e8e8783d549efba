#include "db/replay.hpp"

#include "core/event_payload.hpp"
#include "core/hex.hpp"
#include "db/event_writer.hpp"
#include "db/tables.hpp"

#include <pqxx/except>
#include <pqxx/result>
#include <pqxx/subtransaction>
#include <pqxx/transaction>

#include <optional>

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
  if (options.message_id && rows.empty())
    summary.unknown_message =
        tx.exec_params1("select count(*) from scpipe.rejected_event where message_id = "
                        "decode($1, 'hex')",
                        id_hex)[0]
            .as<int64_t>()
        == 0;
  // A row whose events are valid now, waiting for the database's word.
  struct candidate {
    int64_t id;
    decoded_payload content;
    std::string refused; ///< the database's reason, when it refused them
  };
  std::vector<candidate> candidates;
  auto note = [&](int64_t id, const std::string& text, bool replayed) {
    if (!replayed && summary.notes.size() < replay_summary::max_notes)
      summary.notes.emplace_back(id, text);
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
    candidates.push_back({id, std::move(content), {}});
  }

  // -- the events: all at once; if the database refuses any, row by row under savepoints, so
  //    each row goes in or keeps the database's reason, and the others still go in.
  auto copy_rows = [&](pqxx::dbtransaction& into, size_t begin, size_t end) {
    std::vector<std::string_view> texts;
    for (size_t i = begin; i < end; ++i)
      texts.push_back(candidates[i].content.rows);
    pqxx::subtransaction sub{into, "replay_rows"};
    copy_text(sub, tables::events, event_copy_columns, texts);
    sub.commit();
  };
  if (!candidates.empty()) {
    try {
      copy_rows(tx, 0, candidates.size());
    } catch (const pqxx::sql_error& e) {
      if (!refusal_reason(e)) // not about the rows: the replay fails, nothing changed
        throw;
      for (size_t i = 0; i < candidates.size(); ++i) {
        try {
          copy_rows(tx, i, i + 1);
        } catch (const pqxx::sql_error& row_error) {
          auto reason = refusal_reason(row_error);
          if (!reason)
            throw;
          candidates[i].refused = *reason;
        }
      }
    }
  }
  for (const auto& c : candidates) {
    if (!c.refused.empty()) {
      ++summary.still_refused;
      note(c.id, "still refused: " + c.refused, false);
      continue;
    }
    ++summary.replayed_rows;
    summary.events_written += c.content.accepted;
    note(c.id,
         "replayed " + std::to_string(c.content.accepted) + " events"
             + (c.content.rejected ? "; " + std::to_string(c.content.rejected)
                                         + " still refused: " + c.content.rejections.at(0).reason
                                   : std::string{}),
         true);
  }
  if (options.dry_run)
    tx.abort();
  else
    tx.commit();
  return summary;
}

} // namespace scpipe::db
