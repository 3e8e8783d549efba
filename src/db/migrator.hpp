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

/// sql/roles.sql, embedded at build time (a list of one): the opt-in least-privilege group roles
/// scpipe_writer, scpipe_etl and scpipe_analyst with exactly their grants
/// (database.create_roles). Idempotent, so not a numbered migration: see migrate_options.
const std::vector<migration>& embedded_roles();

/// A migration could not be applied (or the recorded ones disagree with this binary); nothing
/// of the failing migration was applied. The message names the file.
class migration_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The version of a migration file name ("0007_x.sql" → 7), or nothing if it is not
/// "NNNN_<name>.sql" with four digits.
std::optional<int> migration_version(const std::string& name);

/// What a migrate run does besides the migrations.
struct migrate_options {
  /// Idempotent scripts applied after the migrations on every run, in order, each in its own
  /// transaction, not recorded in scpipe.schema_migrations: embedded_roles() when
  /// database.create_roles is on, else nothing. (Optional and re-runnable, they cannot sit in
  /// the numbered, forward-only sequence; sql/roles.sql says why.)
  std::vector<migration> scripts_after;
};

/// What a migrate run did.
struct migrate_result {
  /// Names of the migrations applied now, in order.
  std::vector<std::string> applied;
  /// How many were applied before this run.
  size_t already_applied = 0;
  /// Names of the migrate_options::scripts_after applied (all of them, when it succeeds).
  std::vector<std::string> scripts_applied;
};

/// What keeps the database from having the schema `migrations` make: empty when every one of
/// them is applied and nothing newer; else one sentence for /readyz and the log, e.g.
/// "database not migrated: run scpipe migrate (2 of 6 migrations applied)". Reads only.
std::string schema_mismatch(pqxx::connection& conn, const std::vector<migration>& migrations);

/// Applies the pending `migrations` in order, each in its own transaction together with its
/// row in scpipe.schema_migrations (version, name, md5 checksum, time). Holds an advisory lock
/// for the whole run, so concurrent runs apply each migration once. Refuses to run when an
/// applied migration's text changed or the database knows a version this binary does not.
/// Then applies `options.scripts_after` under the same lock. Throws migration_error.
migrate_result migrate(pqxx::connection& conn, const std::vector<migration>& migrations,
                       const migrate_options& options = {});

} // namespace scpipe::db
