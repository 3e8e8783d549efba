#pragma once

#include "core/event_batch.hpp"
#include "core/event_reply.hpp"

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/transaction_base>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe::db {

/// How a batch is written.
struct write_options {
  /// Zone of event times written without one (etl.timezone).
  std::string timezone = "UTC";
  /// Longest any statement may run (a locked table, a stalled disk); 0: no limit.
  std::chrono::milliseconds statement_timeout{0};
};

/// What one message of a committed batch is answered.
struct message_outcome {
  uint64_t seq = 0;
  reply_status status = reply_status::retry;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  /// Whether it was refused for carrying a message id already committed with another payload.
  bool id_reused = false;
  /// Every rejection, the validator's and the database's, in payload order (the reply lists
  /// the first protocol::max_reply_errors).
  std::vector<event_rejection> errors;
};

/// Sets what write_event_batch relies on for the session of `conn`: times without a zone are
/// read in `options.timezone`, no statement runs longer than `options.statement_timeout`, and
/// the batch's ledger statements are prepared (planned once, not with every batch). Once per
/// connection, before its first batch.
void configure_writer_session(pqxx::connection& conn, const write_options& options);

/// Writes `batch` in ONE transaction and commits it:
///
///   BEGIN
///     ledger rows for the batch's ids ── ON CONFLICT DO NOTHING ──▶ ids seen before: duplicate
///                                          (same payload digest) or id reused (another digest)
///     session_ledger rows covering the session messages' sequence numbers (read)
///     COPY the new messages' rows into sc.sc_user_event
///     COPY the dead letters into scpipe.rejected_event
///     the new session messages' producers locked (held to the commit), then one session_ledger
///          row per run of new ones, unless a run committed meanwhile overlaps it
///   COMMIT
///
/// When the database refuses a row (a data error), nothing of that transaction stays and the
/// batch is written again in a new one: the ledgers read afresh, the rows COPYed under
/// savepoints and bisected until the refused ones are isolated (they become rejections, with
/// the ledger counts corrected). When another transaction committed a session sequence number
/// of the batch after its read (a resend racing its original through another writer or
/// instance), the batch is written again too, and that message is then a duplicate.
///
/// `conn` is configured by configure_writer_session. `maybe_committed` says an earlier
/// attempt's commit had an unknown outcome: ids found in the ledger are then answered with
/// their counts' status rather than "duplicate". Connection, resource and transient errors
/// propagate as libpqxx exceptions, nothing committed.
std::vector<message_outcome> write_event_batch(pqxx::connection& conn, const event_batch& batch,
                                               bool maybe_committed = false);

/// The dead-letter reason for rows the database refused with `e` when `e` is about the rows (a
/// data error, classify_sqlstate's isolate_rows); nullopt for any other error.
std::optional<std::string> refusal_reason(const pqxx::sql_error& e);

/// Sends COPY text (pieces made of complete lines) to `table` (`columns`) in one COPY.
void copy_text(pqxx::transaction_base& tx, std::string_view table, std::string_view columns,
               const std::vector<std::string_view>& texts);

/// Deletes session-ledger rows older than `days` days; returns how many. (The id ledger is
/// partitioned by generation and pruned by dropping them: db::drop_ledger_partitions.)
uint64_t prune_session_ledger(pqxx::connection& conn, int64_t days);

} // namespace scpipe::db
