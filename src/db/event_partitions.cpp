#include "db/event_partitions.hpp"

#include <pqxx/result>
#include <pqxx/transaction>

namespace scpipe::db {

namespace {

/// Runs a set-returning function of names in its own transaction; the names.
template <typename... Args>
std::vector<std::string> names_of(pqxx::connection& conn, const std::string& sql,
                                  const Args&... args) {
  pqxx::work tx{conn};
  pqxx::result rows = tx.exec_params(sql, args...);
  tx.commit();
  std::vector<std::string> out;
  for (const auto& row : rows)
    out.push_back(row[0].as<std::string>());
  return out;
}

} // namespace

std::vector<std::string> make_event_partitions(pqxx::connection& conn, const std::string& interval,
                                               int64_t ahead) {
  return names_of(conn, "select * from scpipe.make_event_partitions($1, $2::int)", interval, ahead);
}

std::vector<std::string> drop_event_partitions(pqxx::connection& conn,
                                               const std::string& retention) {
  return names_of(conn, "select * from scpipe.drop_event_partitions($1::interval)", retention);
}

void roll_ledger_day(pqxx::connection& conn, int64_t days) {
  names_of(conn, "select scpipe.roll_ledger_day($1::int)::text", days);
}

std::vector<std::string> drop_ledger_partitions(pqxx::connection& conn, int64_t days) {
  return names_of(conn, "select * from scpipe.drop_ledger_partitions($1::int)", days);
}

} // namespace scpipe::db
