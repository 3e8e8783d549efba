#include "db/event_writer.hpp"

#include "core/copy_text.hpp"
#include "core/hex.hpp"
#include "core/sqlstate.hpp"
#include "core/utf8.hpp"
#include "db/connection.hpp"
#include "db/tables.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <pqxx/except>
#include <pqxx/field>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/subtransaction>
#include <pqxx/transaction>

// libpqxx 6.4's stream_to takes tuples only; the deprecated tablewriter is its one way to send
// ready-made COPY text, which is what the batch carries.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <pqxx/tablewriter>
#pragma GCC diagnostic pop

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace scpipe::db {

namespace {

constexpr std::string_view dead_letter_columns =
    "message_id, event_index, reason, raw_event, raw_bytes, received_at";

/// A PostgreSQL array literal of plain tokens (hex strings, numbers: nothing to quote).
template <class Range, class F> std::string array_literal(const Range& items, F&& token) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1)
      out += ',';
    out += token(item);
  }
  return out + "}";
}

/// What the ledger holds for a message id committed before.
struct ledger_entry {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::optional<uint64_t> digest; ///< nullopt: committed without one (before 0006, too large)
  std::string committed_at;       ///< when, for the reused-id error
};

/// A digest as an element of a bigint[] literal (the column is signed).
std::string digest_token(const batch_message& m) {
  return m.digest ? std::to_string(static_cast<int64_t>(*m.digest)) : std::string{"NULL"};
}

/// One accepted row of a message, for isolating refused rows.
struct row_ref {
  size_t message;        ///< index in the batch
  int64_t index;         ///< the event's position in its payload
  std::string_view line; ///< its COPY line, with the newline
};

/// The rows of `m`, with their payload positions.
void collect_rows(const batch_message& m, size_t message, std::vector<row_ref>& out) {
  for (const auto& [index, line] : rows_with_index(m.content))
    out.push_back({message, index, line});
}

std::string join_lines(const std::vector<row_ref>& rows, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i)
    out.append(rows[i].line);
  return out;
}

/// A COPY line back as the event it was validated from (for its dead letter).
std::string event_of_line(std::string_view line) {
  auto row = parse_event_row(line);
  boost::json::object event;
  event["user_id"] = row.user_id;
  if (row.platform)
    event["platform"] = *row.platform;
  // Back to the ISO form the validator reads: "2019-05-13 03:11:04+00:00" → "...T03:11:04...".
  if (row.event_ts.size() > 10 && row.event_ts[10] == ' ')
    row.event_ts[10] = 'T';
  event["event_time"] = row.event_ts;
  event["event_type"] = row.event_type;
  event["first_event"] = row.first_event;
  return boost::json::serialize(event);
}

/// Copies rows [begin, end) under a savepoint; on a data error splits the range until each
/// refused row is found, recording it in `refused`. Other errors propagate.
void copy_isolating(pqxx::dbtransaction& tx, const std::vector<row_ref>& rows, size_t begin,
                    size_t end, std::vector<std::pair<size_t, std::string>>& refused) {
  if (begin == end)
    return;
  try {
    pqxx::subtransaction sub{tx, "copy_rows"};
    copy_text(sub, tables::events, event_copy_columns, {join_lines(rows, begin, end)});
    sub.commit();
  } catch (const pqxx::sql_error& e) {
    auto reason = refusal_reason(e);
    if (!reason)
      throw;
    if (end - begin == 1) {
      refused.emplace_back(begin, std::move(*reason));
      return;
    }
    auto mid = begin + (end - begin) / 2;
    copy_isolating(tx, rows, begin, mid, refused);
    copy_isolating(tx, rows, mid, end, refused);
  }
}

std::string timestamp_of(int64_t us) {
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  auto frac = std::to_string(1000000 + us % 1000000).substr(1);
  return std::string{buf, n} + "." + frac + "+00";
}

void append_dead_letter(std::string& out, const batch_message& m, const event_rejection& r) {
  out += "\\\\x" + to_hex(m.id) + "\t" + std::to_string(r.index) + "\t";
  append_copy_text(out, r.reason);
  out += '\t';
  bool text =
      !r.raw.empty() && r.raw.find('\0') == std::string::npos && utf8_length(r.raw).has_value();
  if (text)
    append_copy_text(out, r.raw);
  else
    out += "\\N";
  out += '\t';
  if (!text && !r.raw.empty())
    out += "\\\\x" + to_hex(r.raw);
  else
    out += "\\N";
  out += "\t" + timestamp_of(m.received_at_us) + "\n";
}

} // namespace

std::optional<std::string> refusal_reason(const pqxx::sql_error& e) {
  auto sqlstate = sqlstate_of(e);
  if (classify_sqlstate(sqlstate) != failure_action::isolate_rows)
    return std::nullopt;
  return "the database refused the event (SQLSTATE " + sqlstate + "): " + one_line(e.what());
}

void copy_text(pqxx::transaction_base& tx, std::string_view table, std::string_view columns,
               const std::vector<std::string_view>& texts) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const std::string column_list{columns};
  pqxx::tablewriter writer{tx, std::string{table}, &column_list, &column_list + 1};
  // write_raw_line appends the newline each piece already ends with: hand it over without.
  for (auto text : texts)
    if (!text.empty())
      writer.write_raw_line(std::string{text.substr(0, text.size() - 1)});
  writer.complete();
#pragma GCC diagnostic pop
}

namespace {

/// What the ledgers say of a batch's messages, per message.
struct ledger_claims {
  explicit ledger_claims(size_t n) : fresh(n), first(n), earlier(n) {}
  /// New: its rows are written in this transaction.
  std::vector<bool> fresh;
  /// The first message of the batch with its key (itself, unless a second message under the
  /// same id or session sequence came in one batch: that one is answered like a resend).
  std::vector<size_t> first;
  /// What the ledger held for a key committed before.
  std::vector<std::optional<ledger_entry>> earlier;
};

/// The messages of `batch` keyed by id (no session) or by session.
std::pair<std::vector<size_t>, std::vector<size_t>> by_key_kind(const event_batch& batch) {
  std::pair<std::vector<size_t>, std::vector<size_t>> out;
  for (size_t i = 0; i < batch.messages.size(); ++i)
    (batch.messages[i].session.producer.empty() ? out.first : out.second).push_back(i);
  return out;
}

// -- the statements of a batch -----------------------------------------------------------------
// Prepared once per connection (configure_writer_session), so that each is planned once, not with
// every batch: at light load their planning took longer than their execution (0.38 ms against
// 0.21 ms a batch for the session ledger's two, measured with pg_stat_statements.track_planning).

/// The names the statements are prepared under.
namespace prepared {
/// This transaction's generation of the id ledger (sql/0010).
constexpr const char* ledger_day = "scpipe_ledger_day";
/// The ids not committed before, entered ($5: the generation); returns them.
constexpr const char* enter_ids = "scpipe_enter_ids";
/// What the id ledger holds for the given ids.
constexpr const char* read_ids = "scpipe_read_ids";
/// The session runs overlapping each producer's lowest..highest sequence number.
constexpr const char* read_runs = "scpipe_read_runs";
/// The producers' locks (sql/0015), held to the commit.
constexpr const char* lock_producers = "scpipe_lock_producers";
/// The runs, each unless a committed run overlaps it.
constexpr const char* enter_runs = "scpipe_enter_runs";
} // namespace prepared

/// Each statement's name and text.
const std::vector<std::pair<const char*, std::string>>& batch_statements() {
  // When a ledger row was committed, as a reply quotes it.
  static const std::string committed_at =
      "to_char(committed_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')";
  // The session_ledger rows of producer q.producer that may overlap q.lo..q.hi, each found in
  // its unique index (producer, last_seq) however long the producer's history: those ending
  // within the range, and the first ending after it. Runs do not overlap, so any later one
  // begins after q.hi. The statements keep those with first_seq <= q.hi.
  static const std::string runs_overlapping_q =
      "((select * from scpipe.session_ledger where producer = q.producer "
      "and last_seq between q.lo and q.hi) "
      "union all (select * from scpipe.session_ledger where producer = q.producer "
      "and last_seq > q.hi order by last_seq limit 1))";
  static const std::vector<std::pair<const char*, std::string>> all{
      {prepared::ledger_day, "select scpipe.ledger_day()"},
      {prepared::enter_ids,
       "insert into scpipe.event_ledger (message_id, accepted, rejected, payload_digest, "
       "ledger_day) "
       "select decode(id, 'hex'), a, r, d, $5::timestamptz from unnest($1::text[], $2::int[], "
       "$3::int[], $4::bigint[]) as t(id, a, r, d) "
       "where not exists (select from scpipe.event_ledger l where l.message_id = "
       "decode(t.id, 'hex') and l.ledger_day < $5::timestamptz) "
       "on conflict (message_id, ledger_day) do nothing returning encode(message_id, 'hex')"},
      {prepared::read_ids,
       "select encode(message_id, 'hex'), accepted, rejected, payload_digest, " + committed_at
           + " from scpipe.event_ledger "
             "where message_id = any (select decode(id, 'hex') from unnest($1::text[]) as t(id))"},
      {prepared::read_runs,
       "select l.producer, l.first_seq, l.accepted, l.rejected, l.payload_digests, " + committed_at
           + " from unnest($1::text[], $2::bigint[], $3::bigint[]) as q(producer, lo, hi) "
             "cross join lateral "
           + runs_overlapping_q + " as l where l.first_seq <= q.hi"},
      {prepared::lock_producers, "select scpipe.lock_session_producers($1::text[])"},
      {prepared::enter_runs,
       "insert into scpipe.session_ledger "
       "(producer, first_seq, last_seq, accepted, rejected, payload_digests) "
       "select q.producer, q.lo, q.hi, q.a::int[], q.r::int[], q.d::bigint[] "
       "from unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[]) "
       "as q(producer, lo, hi, a, r, d) "
       "where not exists (select from "
           + runs_overlapping_q + " as l where l.first_seq <= q.hi)"}};
  return all;
}

/// Messages without a session: inserts an event_ledger row for each id not committed before
/// (their events are then written in the same transaction) and reads what the ledger holds for
/// the others.
void claim_ids(pqxx::work& tx, const event_batch& batch, const std::vector<size_t>& messages,
               ledger_claims& c) {
  if (messages.empty())
    return;
  std::map<std::string_view, size_t> first_of;
  std::vector<size_t> owners;
  for (auto i : messages) {
    auto [it, added] = first_of.emplace(batch.messages[i].id, i);
    c.first[i] = it->second;
    if (added)
      owners.push_back(i);
  }
  auto ids = array_literal(owners, [&](size_t i) { return to_hex(batch.messages[i].id); });
  auto accepted = array_literal(
      owners, [&](size_t i) { return std::to_string(batch.messages[i].content.accepted); });
  auto rejected = array_literal(
      owners, [&](size_t i) { return std::to_string(batch.messages[i].content.rejected); });
  auto digests = array_literal(owners, [&](size_t i) { return digest_token(batch.messages[i]); });
  // The ledger is partitioned by generation (sql/0010): this transaction's comes first, in a
  // statement of its own (it waits for a roll in progress); an id is new only if no earlier
  // generation holds it (at most one more partition to probe, and the default one).
  auto day = tx.exec_prepared1(prepared::ledger_day)[0].as<std::string>();
  std::set<std::string> inserted;
  for (const auto& row :
       tx.exec_prepared(prepared::enter_ids, ids, accepted, rejected, digests, day))
    inserted.insert(row[0].as<std::string>());
  std::map<std::string, ledger_entry> earlier; // hex id -> entry
  if (inserted.size() < owners.size())
    for (const auto& row : tx.exec_prepared(prepared::read_ids, ids)) {
      ledger_entry e{row[1].as<uint64_t>(), row[2].as<uint64_t>(), std::nullopt,
                     row[4].as<std::string>()};
      if (!row[3].is_null())
        e.digest = static_cast<uint64_t>(row[3].as<int64_t>());
      earlier[row[0].as<std::string>()] = std::move(e);
    }
  for (auto i : messages) {
    auto hex = to_hex(batch.messages[i].id);
    c.fresh[i] = c.first[i] == i && inserted.count(hex) > 0;
    if (auto it = earlier.find(hex); it != earlier.end())
      c.earlier[i] = it->second;
  }
}

/// The elements of a one-dimensional array field, as text (nullopt: NULL).
std::vector<std::optional<std::string>> array_elements(const pqxx::field& f) {
  std::vector<std::optional<std::string>> out;
  auto parser = f.as_array();
  for (auto [kind, text] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, text) = parser.get_next())
    if (kind == pqxx::array_parser::string_value)
      out.push_back(std::move(text));
    else if (kind == pqxx::array_parser::null_value)
      out.push_back(std::nullopt);
  return out;
}

/// A run of consecutive sequence numbers of one producer: one session_ledger row.
struct session_run {
  std::string_view producer;
  uint64_t first = 0;
  std::vector<size_t> messages; ///< in sequence order
};

/// The runs `owners` (fresh, one per sequence) make, per producer.
std::vector<session_run> runs_of(const event_batch& batch, std::vector<size_t> owners) {
  auto key = [&](size_t i) {
    const auto& s = batch.messages[i].session;
    return std::pair<std::string_view, uint64_t>{s.producer, s.sequence};
  };
  std::sort(owners.begin(), owners.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  std::vector<session_run> runs;
  for (auto i : owners) {
    auto [producer, sequence] = key(i);
    if (runs.empty() || runs.back().producer != producer
        || runs.back().first + runs.back().messages.size() != sequence)
      runs.push_back({producer, sequence, {}});
    runs.back().messages.push_back(i);
  }
  return runs;
}

/// A text[] literal of producer ids (their characters need no escaping inside quotes).
template <class Range, class F> std::string quoted_array(const Range& items, F&& text) {
  return array_literal(items,
                       [&](const auto& item) { return "\"" + std::string{text(item)} + "\""; });
}

/// Messages with a session: reads the session_ledger rows that cover their sequence numbers
/// (committed before: a resend is a duplicate). The others are fresh; record_session_runs
/// enters them at the end of the transaction.
void read_sessions(pqxx::work& tx, const event_batch& batch, const std::vector<size_t>& messages,
                   ledger_claims& c) {
  if (messages.empty())
    return;
  std::map<std::pair<std::string_view, uint64_t>, size_t> first_of;
  std::map<std::string_view, std::pair<uint64_t, uint64_t>> span; // producer -> lowest, highest
  for (auto i : messages) {
    const auto& s = batch.messages[i].session;
    auto [it, added] = first_of.emplace(std::pair{std::string_view{s.producer}, s.sequence}, i);
    c.first[i] = it->second;
    auto [sp, fresh_producer] = span.emplace(s.producer, std::pair{s.sequence, s.sequence});
    if (!fresh_producer) {
      sp->second.first = std::min(sp->second.first, s.sequence);
      sp->second.second = std::max(sp->second.second, s.sequence);
    }
  }
  std::map<std::pair<std::string, uint64_t>, ledger_entry> earlier;
  for (const auto& row : tx.exec_prepared(
           prepared::read_runs, quoted_array(span, [](const auto& p) { return p.first; }),
           array_literal(span, [](const auto& p) { return std::to_string(p.second.first); }),
           array_literal(span, [](const auto& p) { return std::to_string(p.second.second); }))) {
    auto producer = row[0].as<std::string>();
    auto first_seq = row[1].as<uint64_t>();
    auto committed_at = row[5].as<std::string>();
    // Each array holds one element per sequence number of the run, in order.
    auto a = array_elements(row[2]);
    auto r = array_elements(row[3]);
    auto d = array_elements(row[4]);
    for (size_t k = 0; k < a.size() && k < r.size() && k < d.size(); ++k) {
      ledger_entry e{std::stoull(a[k].value_or("0")), std::stoull(r[k].value_or("0")), std::nullopt,
                     committed_at};
      if (d[k])
        e.digest = static_cast<uint64_t>(std::stoll(*d[k]));
      earlier[{producer, first_seq + k}] = std::move(e);
    }
  }
  for (auto i : messages) {
    const auto& s = batch.messages[i].session;
    if (auto it = earlier.find({s.producer, s.sequence}); it != earlier.end())
      c.earlier[i] = it->second;
    c.fresh[i] = c.first[i] == i && !c.earlier[i];
  }
}

/// Thrown when another transaction entered a run holding sequence numbers this one took as
/// fresh, after read_sessions looked: this transaction must not commit its copies of them.
struct session_claimed_elsewhere : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// At the end of the transaction, the events written: one session_ledger row per run of the
/// fresh session messages, with their final counts (`out`). Their producers are locked first,
/// in a statement of its own (sql/0015), so a transaction that entered one of these numbers
/// since read_sessions looked has committed when the insert looks again: the insert then
/// skips that run, and this throws session_claimed_elsewhere. The lock is held to the commit.
void record_session_runs(pqxx::work& tx, const event_batch& batch, const ledger_claims& c,
                         const std::vector<message_outcome>& out) {
  std::vector<size_t> owners;
  for (size_t i = 0; i < batch.messages.size(); ++i)
    if (c.fresh[i] && !batch.messages[i].session.producer.empty())
      owners.push_back(i);
  auto runs = runs_of(batch, std::move(owners));
  if (runs.empty())
    return;
  auto per_message = [&](auto&& token) {
    return array_literal(runs, [&](const session_run& run) {
      return "\"" + array_literal(run.messages, token) + "\"";
    });
  };
  std::set<std::string_view> producers;
  for (const auto& run : runs)
    producers.insert(run.producer);
  tx.exec_prepared(prepared::lock_producers,
                   quoted_array(producers, [](std::string_view p) { return p; }));
  auto inserted = tx.exec_prepared(
      prepared::enter_runs, quoted_array(runs, [](const session_run& run) { return run.producer; }),
      array_literal(runs, [](const session_run& run) { return std::to_string(run.first); }),
      array_literal(runs,
                    [](const session_run& run) {
                      return std::to_string(run.first + run.messages.size() - 1);
                    }),
      per_message([&](size_t i) { return std::to_string(out[i].accepted); }),
      per_message([&](size_t i) { return std::to_string(out[i].rejected); }),
      per_message([&](size_t i) { return digest_token(batch.messages[i]); }));
  if (inserted.affected_rows() < runs.size())
    throw session_claimed_elsewhere{
        "a session sequence number of this batch was committed meanwhile by another "
        "transaction; writing the batch again"};
}

/// Which messages of `batch` are new, from both ledgers.
ledger_claims claim(pqxx::work& tx, const event_batch& batch) {
  ledger_claims c{batch.messages.size()};
  auto [by_id, by_session] = by_key_kind(batch);
  claim_ids(tx, batch, by_id, c);
  read_sessions(tx, batch, by_session, c);
  return c;
}

/// The outcome of each fresh message as validated (refused rows may still change it).
std::vector<message_outcome> validated_outcomes(const event_batch& batch,
                                                const ledger_claims& claims) {
  std::vector<message_outcome> out(batch.messages.size());
  for (size_t i = 0; i < batch.messages.size(); ++i) {
    const auto& m = batch.messages[i];
    out[i].seq = m.seq;
    if (!claims.fresh[i])
      continue;
    out[i].accepted = m.content.accepted;
    out[i].rejected = m.content.rejected;
    out[i].errors = m.content.rejections;
  }
  return out;
}

/// How copy_events goes about the rows.
enum class copy_mode {
  /// One COPY, no savepoint: a data error aborts the transaction (write_event_batch then
  /// writes the batch again, isolating).
  whole,
  /// Rows under savepoints, bisected until each refused one is found; those become
  /// rejections of their messages, with the ledger corrected.
  isolating
};

/// COPYs the fresh messages' events. A data error is rare: validation matches the columns, so
/// only a rule added in the database refuses a row.
void copy_events(pqxx::work& tx, const event_batch& batch, const ledger_claims& claims,
                 std::vector<message_outcome>& out, copy_mode mode) {
  std::vector<std::string_view> texts;
  for (size_t i = 0; i < batch.messages.size(); ++i)
    if (claims.fresh[i] && !batch.messages[i].content.rows.empty())
      texts.push_back(batch.messages[i].content.rows);
  if (texts.empty())
    return;
  if (mode == copy_mode::whole) {
    copy_text(tx, tables::events, event_copy_columns, texts);
    return;
  }
  std::vector<row_ref> rows;
  std::vector<std::pair<size_t, std::string>> refused; // row -> reason
  for (size_t i = 0; i < batch.messages.size(); ++i)
    if (claims.fresh[i])
      collect_rows(batch.messages[i], i, rows);
  copy_isolating(tx, rows, 0, rows.size(), refused);
  std::set<size_t> recount;
  for (auto& [row, reason] : refused) {
    auto& o = out[rows[row].message];
    o.errors.push_back({rows[row].index, std::move(reason), event_of_line(rows[row].line)});
    --o.accepted;
    ++o.rejected;
    recount.insert(rows[row].message);
  }
  for (auto i : recount) {
    std::sort(out[i].errors.begin(), out[i].errors.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    // A session message's run is entered after this, with these counts.
    if (batch.messages[i].session.producer.empty())
      tx.exec_params("update scpipe.event_ledger set accepted = $2, rejected = $3 "
                     "where message_id = decode($1, 'hex')",
                     to_hex(batch.messages[i].id), out[i].accepted, out[i].rejected);
  }
}

/// COPYs the fresh messages' rejections into the dead-letter table.
void write_dead_letters(pqxx::work& tx, const event_batch& batch, const ledger_claims& claims,
                        const std::vector<message_outcome>& out) {
  std::string letters;
  for (size_t i = 0; i < batch.messages.size(); ++i)
    if (claims.fresh[i])
      for (const auto& r : out[i].errors)
        append_dead_letter(letters, batch.messages[i], r);
  if (!letters.empty())
    copy_text(tx, tables::dead_letters, dead_letter_columns, {letters});
}

/// After the commit: each message's status. A fresh one is answered by its counts; an id
/// seen before is a duplicate (its first counts), or refused as reused when its payload's
/// digest differs; after a commit of unknown outcome, an id this batch itself committed is
/// answered as written.
void settle_statuses(const event_batch& batch, const ledger_claims& claims, bool maybe_committed,
                     std::vector<message_outcome>& out) {
  for (size_t i = 0; i < batch.messages.size(); ++i) {
    auto& o = out[i];
    const auto& m = batch.messages[i];
    if (claims.fresh[i]) {
      o.status = status_for(o.accepted, o.rejected);
      continue;
    }
    const auto& found = claims.earlier[i];
    // The same key earlier in this very batch, or committed before.
    auto first_index = claims.first[i];
    const auto& first_message = batch.messages[first_index];
    ledger_entry first =
        found ? *found
              : ledger_entry{out[first_index].accepted, out[first_index].rejected,
                             first_message.digest, "a moment ago, in the same batch"};
    if (first.digest && m.digest && *first.digest != *m.digest) {
      o.status = reply_status::rejected;
      o.id_reused = true;
      o.rejected = m.content.accepted + m.content.rejected;
      const auto& s = m.session;
      auto key = s.producer.empty() ? std::string{"message id"}
                                    : "session sequence (producer " + s.producer + ", sequence "
                                          + std::to_string(s.sequence) + ")";
      o.errors = {{-1,
                   key + " reused: it was committed before (" + first.committed_at
                       + ") with a different payload; nothing of this one was written. Send "
                         "it under a new "
                       + (s.producer.empty() ? "id" : "sequence number"),
                   {}}};
      continue;
    }
    o.accepted = first.accepted;
    o.rejected = first.rejected;
    o.status =
        maybe_committed && found ? status_for(o.accepted, o.rejected) : reply_status::duplicate;
  }
}

/// One transaction writing `batch`, as write_event_batch describes.
std::vector<message_outcome> write_once(pqxx::connection& conn, const event_batch& batch,
                                        bool maybe_committed, copy_mode mode) {
  pqxx::work tx{conn, "event_batch"};
  auto claims = claim(tx, batch); // the ledgers first: they decide which messages are new
  auto out = validated_outcomes(batch, claims);
  copy_events(tx, batch, claims, out, mode);
  write_dead_letters(tx, batch, claims, out);
  record_session_runs(tx, batch, claims, out); // last: its lock is held to the commit
  tx.commit();
  settle_statuses(batch, claims, maybe_committed, out);
  return out;
}

} // namespace

void configure_writer_session(pqxx::connection& conn, const write_options& options) {
  pqxx::nontransaction tx{conn};
  tx.exec0("set time zone " + tx.quote(options.timezone)
           + "; set statement_timeout = " + std::to_string(options.statement_timeout.count()));
  for (const auto& [name, text] : batch_statements())
    conn.prepare(name, text);
}

std::vector<message_outcome> write_event_batch(pqxx::connection& conn, const event_batch& batch,
                                               bool maybe_committed) {
  auto mode = copy_mode::whole;
  for (int attempt = 1;; ++attempt) {
    try {
      return write_once(conn, batch, maybe_committed, mode);
    } catch (const session_claimed_elsewhere&) {
      // Nothing of that transaction stayed: again, the ledgers read afresh (they now hold the
      // other transaction's run). Past the third attempt the writer retries with a backoff.
      if (attempt >= 3)
        throw;
    } catch (const pqxx::sql_error& e) {
      // A row the database refused (nothing of the transaction stayed): again, the rows
      // isolated. Likewise a ledger key entered by another transaction that did not take the
      // lock (a unique violation): the ledgers read afresh find it.
      if (mode == copy_mode::isolating
          || classify_sqlstate(sqlstate_of(e)) != failure_action::isolate_rows)
        throw;
      mode = copy_mode::isolating;
    }
  }
}

uint64_t prune_session_ledger(pqxx::connection& conn, int64_t days) {
  pqxx::work tx{conn, "prune_session_ledger"};
  tx.exec0("set local statement_timeout = 0"); // the writer's session has the write deadline
  auto deleted = tx.exec_params("delete from " + std::string{tables::session_ledger}
                                    + " where committed_at < now() - make_interval(days => $1)",
                                days)
                     .affected_rows();
  tx.commit();
  return deleted;
}

} // namespace scpipe::db
