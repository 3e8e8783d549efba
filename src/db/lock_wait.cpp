#include "db/lock_wait.hpp"

#include "db/connection.hpp"

#include <pqxx/nontransaction>
#include <pqxx/result>

namespace scpipe::db {

std::string lock_holders(pqxx::connection& observer, int backend_pid) {
  pqxx::nontransaction tx{observer};
  std::string out;
  for (const auto& row :
       tx.exec_params("select coalesce(nullif(application_name, ''), usename, 'a session'), pid, "
                      "       coalesce(extract(epoch from now() - coalesce(xact_start, "
                      "query_start))::bigint, 0), "
                      "       left(regexp_replace(query, '\\s+', ' ', 'g'), 80) "
                      "from pg_stat_activity where pid = any (pg_blocking_pids($1)) order by pid",
                      backend_pid)) {
    if (!out.empty())
      out += ", ";
    out += "'" + row[0].as<std::string>() + "' (pid " + row[1].as<std::string>() + ", for "
           + row[2].as<std::string>() + " s: " + one_line(row[3].as<std::string>()) + ")";
  }
  return out;
}

} // namespace scpipe::db
