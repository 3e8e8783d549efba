#pragma once

// sc.sc_user_event's partitions by time (sql/0009): made ahead, dropped past the retention.

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

} // namespace scpipe::db
