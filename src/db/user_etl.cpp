#include "db/user_etl.hpp"

#include <pqxx/result>
#include <pqxx/transaction>

#include <chrono>

namespace scpipe::db {

namespace {

/// Runs the ETL in `tx` and commits.
etl_summary run_and_commit(pqxx::work& tx, const std::string& timezone, bool full,
                           std::chrono::steady_clock::time_point start) {
  auto row = tx.exec_params1("select run_id, inserted, changed, unchanged, rejected, document_seq, "
                             "crm_seq from scpipe.run_user_etl($1, $2)",
                             timezone, full);
  tx.commit();
  etl_summary s;
  s.run_id = row[0].as<int64_t>();
  s.inserted = row[1].as<int64_t>();
  s.changed = row[2].as<int64_t>();
  s.unchanged = row[3].as<int64_t>();
  s.rejected = row[4].as<int64_t>();
  s.document_seq = row[5].as<int64_t>();
  s.crm_seq = row[6].as<int64_t>();
  s.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return s;
}

} // namespace

etl_summary run_user_etl(pqxx::connection& conn, const std::string& timezone, bool full) {
  auto start = std::chrono::steady_clock::now();
  pqxx::work tx{conn};
  return run_and_commit(tx, timezone, full, start);
}

std::optional<etl_summary> try_run_user_etl(pqxx::connection& conn, const std::string& timezone) {
  auto start = std::chrono::steady_clock::now();
  pqxx::work tx{conn};
  if (!tx.exec1("select scpipe.try_lock_user_etl()")[0].as<bool>())
    return std::nullopt; // the transaction rolls back: nothing was done
  return run_and_commit(tx, timezone, false, start);
}

dimension_gaps count_dimension_gaps(pqxx::connection& conn) {
  pqxx::read_transaction tx{conn, "dimension_gaps"};
  // Each count matches a partial index of sql/0011: it reads the gaps, not every user.
  auto row = tx.exec1("select (select count(*) from only sc.sc_user "
                      "        where user_email is null or user_email = ''), "
                      "       (select count(*) from only sc.sc_user where signup_ts is null)");
  return {row[0].as<int64_t>(), row[1].as<int64_t>()};
}

std::vector<int32_t> current_user_ids(pqxx::connection& conn) {
  pqxx::read_transaction tx{conn, "current_user_ids"};
  std::vector<int32_t> ids;
  auto rows = tx.exec("select user_id from only sc.sc_user");
  ids.reserve(rows.size());
  for (const auto& row : rows)
    ids.push_back(row[0].as<int32_t>());
  return ids;
}

} // namespace scpipe::db
