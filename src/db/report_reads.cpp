#include "db/report_reads.hpp"

#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

namespace scpipe::db {

first_week_numbers read_first_week_numbers(pqxx::connection& conn) {
  // One transaction: now() is its start, and the view's snapshot is taken after it.
  pqxx::read_transaction tx{conn};
  first_week_numbers out;
  auto head = tx.exec1("select exists (select from sc.sc_user_event), "
                       "to_char(now() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"')");
  out.events_loaded = head[0].as<bool>();
  out.data_time = head[1].as<std::string>();
  for (const auto& row : tx.exec("select active, first_week_logins, count(*) "
                                 "from sc.first_week_logins group by 1, 2 order by 1 desc, 2")) {
    login_bin b;
    if (!row[0].is_null())
      b.active = row[0].as<bool>();
    b.logins = row[1].as<int64_t>();
    b.users = row[2].as<int64_t>();
    out.bins.push_back(b);
  }
  tx.commit();
  return out;
}

bool staging_has_documents(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  return tx.exec1("select exists (select from staging.sc_user_document)")[0].as<bool>();
}

} // namespace scpipe::db
