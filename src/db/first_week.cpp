#include "db/first_week.hpp"

#include <pqxx/transaction>

namespace scpipe::db {

std::optional<first_week_count> count_first_week_logins(pqxx::connection& conn) {
  pqxx::work tx{conn, "count_first_week_logins"};
  auto rows = tx.exec("select users, counted_through, "
                      "to_char(counted_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                      "from scpipe.count_first_week_logins()");
  tx.commit();
  if (rows.empty())
    return std::nullopt;
  return first_week_count{rows[0][0].as<int64_t>(), rows[0][1].as<int64_t>(),
                          rows[0][2].as<std::string>()};
}

} // namespace scpipe::db
