#pragma once

#include <pqxx/connection>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scpipe::db {

/// What one user-ETL run did (its scpipe.etl_run row).
struct etl_summary {
  int64_t run_id = 0;
  int64_t inserted = 0;
  int64_t changed = 0;
  int64_t unchanged = 0;
  int64_t rejected = 0;
  /// Watermarks: staging rows up to these load_seq values have been considered.
  int64_t document_seq = 0;
  int64_t crm_seq = 0;
  /// Wall time of the run as the client saw it.
  double duration_ms = 0;
};

/// Current users an analyst cannot fully use: accepted as upstream sends them, but counted so
/// that they are seen (without an e-mail, no CRM attributes; without a signup time, no first
/// week).
struct dimension_gaps {
  int64_t without_email = 0;
  int64_t without_signup = 0;
};

/// Counts the dimension_gaps of the current users (one scan of sc.sc_user, no history).
dimension_gaps count_dimension_gaps(pqxx::connection& conn);

/// The user ids of the current users (only sc.sc_user), in one read.
std::vector<int32_t> current_user_ids(pqxx::connection& conn);

/// Runs scpipe.run_user_etl (sql/0003) in its own transaction and commits: the incremental
/// SCD type-2 merge of staging into sc.sc_user / sc.sc_user_hist. `timezone` is the zone of
/// upstream times without one (etl.timezone); `full` reconsiders every staging row.
/// libpqxx exceptions pass through (the caller decides between retry and give-up).
etl_summary run_user_etl(pqxx::connection& conn, const std::string& timezone, bool full = false);

/// The same incremental run, unless another one (another instance's scheduler, a `scpipe etl`)
/// holds the ETL's lock: then nothing, at once, with nothing done (scpipe.try_lock_user_etl,
/// sql/0008). The ETL scheduler's: instances on one database skip a tick instead of queueing.
std::optional<etl_summary> try_run_user_etl(pqxx::connection& conn, const std::string& timezone);

} // namespace scpipe::db
