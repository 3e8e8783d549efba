#pragma once

// Partitions by time, made ahead and dropped past their retention: sc.sc_user_event's
// (sql/0009) and the id ledger's generations (sql/0010).

#include <pqxx/connection>

#include <string>
#include <vector>

namespace scpipe::db {

/// Makes the partitions of the interval ("day", "week" or "month") holding now and of the
/// next `ahead` intervals, where missing (scpipe.make_event_partitions); one transaction.
/// Returns the names made. libpqxx exceptions pass through (a lock timeout among them).
std::vector<std::string> make_event_partitions(pqxx::connection& conn, const std::string& interval,
                                               int64_t ahead);

/// Detaches and drops the partitions whose whole span is older than `retention` (a PostgreSQL
/// interval, e.g. "13 months"; scpipe.drop_event_partitions); one transaction. Returns the
/// names dropped, oldest first.
std::vector<std::string> drop_event_partitions(pqxx::connection& conn,
                                               const std::string& retention);

/// Begins a new generation of the id ledger once the current one is `days` old
/// (scpipe.roll_ledger_day, sql/0010); one transaction.
void roll_ledger_day(pqxx::connection& conn, int64_t days);

/// Drops the id ledger's generations whose successor began at least `days` ago
/// (scpipe.drop_ledger_partitions); one transaction. Returns the names dropped.
std::vector<std::string> drop_ledger_partitions(pqxx::connection& conn, int64_t days);

} // namespace scpipe::db
