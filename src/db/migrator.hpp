#pragma once

#include <pqxx/connection>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace scpipe::db {

/// One forward-only migration: a file of sql/ and its text.
struct migration {
  /// File name, "NNNN_description.sql"; NNNN is its version.
  std::string name;
  /// The SQL, run as one transaction.
  std::string sql;
};

/// The migrations of sql/, embedded at build time, in file order.
const std::vector<migration>& embedded_migrations();

/// A migration could not be applied (or the recorded ones disagree with this binary); nothing
/// of the failing migration was applied. The message names the file.
class migration_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The version of a migration file name ("0007_x.sql" → 7), or nothing if it is not
/// "NNNN_<name>.sql" with four digits.
std::optional<int> migration_version(const std::string& name);

/// What a migrate run did.
struct migrate_result {
  /// Names of the migrations applied now, in order.
  std::vector<std::string> applied;
  /// How many were applied before this run.
  size_t already_applied = 0;
};

/// Applies the pending `migrations` in order, each in its own transaction together with its
/// row in scpipe.schema_migrations (version, name, md5 checksum, time). Holds an advisory lock
/// for the whole run, so concurrent runs apply each migration once. Refuses to run when an
/// applied migration's text changed or the database knows a version this binary does not.
/// Throws migration_error.
migrate_result migrate(pqxx::connection& conn, const std::vector<migration>& migrations);

} // namespace scpipe::db
