#pragma once

// The first-week answer's kept counts (sql/0012): sc.first_week_logins reads them, plus the
// events they do not hold yet.

#include <pqxx/connection>

#include <cstdint>
#include <optional>
#include <string>

namespace scpipe::db {

/// What one count of the new events did.
struct first_week_count {
  int64_t users = 0;           ///< users whose count grew
  int64_t counted_through = 0; ///< the watermark now: every event id up to it is counted
  std::string counted_at;      ///< every event committed before it is counted (UTC, ISO 8601)
};

/// Counts the logins of the events committed since the watermark into the kept counts and
/// moves the watermark (scpipe.count_first_week_logins); one transaction. nullopt when another
/// session was at it (another instance, or the ETL counting changed users again): nothing done.
/// libpqxx exceptions pass through; a lock timeout (55P03) means inserts held the watermark's
/// lock for over a second.
std::optional<first_week_count> count_first_week_logins(pqxx::connection& conn);

} // namespace scpipe::db
