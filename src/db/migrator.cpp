#include "db/migrator.hpp"

#include "core/log.hpp"
#include "db/connection.hpp"

#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <cctype>
#include <map>
#include <set>

namespace scpipe::db {

namespace {

/// Advisory lock key of migrate runs ("scpmigr" in ASCII).
constexpr long long migrate_lock_key = 0x736370'6d696772LL;

const char* const bookkeeping_sql = R"(
create schema if not exists scpipe;
create table if not exists scpipe.schema_migrations (
    version    int primary key,
    name       text not null,
    checksum   text not null,
    applied_at timestamptz not null default now()
);
comment on table scpipe.schema_migrations is 'sql/ migrations applied by scpipe migrate';
)";

struct applied_migration {
  std::string name;
  std::string checksum;
};

/// Checks the list itself: well-formed names, strictly increasing versions.
void check_names(const std::vector<migration>& migrations) {
  int previous = 0;
  for (const auto& m : migrations) {
    auto version = migration_version(m.name);
    if (!version)
      throw migration_error{m.name + ": migration file names must be NNNN_<name>.sql"};
    if (*version <= previous)
      throw migration_error{m.name + ": version " + std::to_string(*version)
                            + " is not above the previous migration's"};
    previous = *version;
  }
}

/// Releases the advisory lock however the run ends (a broken connection releases it anyway).
class migrate_lock {
public:
  explicit migrate_lock(pqxx::connection& conn) : conn_{conn} {
    pqxx::nontransaction{conn_}.exec("select pg_advisory_lock(" + std::to_string(migrate_lock_key)
                                     + ")");
  }
  ~migrate_lock() {
    try {
      pqxx::nontransaction{conn_}.exec("select pg_advisory_unlock("
                                       + std::to_string(migrate_lock_key) + ")");
    } catch (...) {
      // the session ends with the connection; so does the lock
    }
  }

private:
  pqxx::connection& conn_;
};

} // namespace

std::optional<int> migration_version(const std::string& name) {
  if (name.size() < 10 || name[4] != '_' || !name.ends_with(".sql"))
    return std::nullopt;
  for (int i = 0; i < 4; ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i])))
      return std::nullopt;
  return std::stoi(name.substr(0, 4));
}

std::string schema_mismatch(pqxx::connection& conn, const std::vector<migration>& migrations) {
  pqxx::read_transaction tx{conn};
  std::set<int> applied;
  if (!tx.exec1("select to_regclass('scpipe.schema_migrations') is not null")[0].as<bool>())
    return "database not migrated: run scpipe migrate (no migration applied)";
  for (const auto& row : tx.exec("select version from scpipe.schema_migrations"))
    applied.insert(row[0].as<int>());
  size_t missing = 0;
  std::set<int> known;
  for (const auto& m : migrations) {
    known.insert(*migration_version(m.name));
    missing += applied.count(*migration_version(m.name)) ? 0 : 1;
  }
  for (auto version : applied)
    if (!known.count(version))
      return "database is newer than this scpipe (it has migration " + std::to_string(version)
             + ", which this binary does not know): run the scpipe that migrated it";
  if (missing > 0)
    return "database not migrated: run scpipe migrate ("
           + std::to_string(migrations.size() - missing) + " of "
           + std::to_string(migrations.size()) + " migrations applied)";
  return {};
}

migrate_result migrate(pqxx::connection& conn, const std::vector<migration>& migrations,
                       const migrate_options& options) {
  check_names(migrations);
  migrate_result result;
  try {
    migrate_lock lock{conn};
    std::map<int, applied_migration> applied;
    {
      pqxx::work tx{conn};
      tx.exec(bookkeeping_sql);
      for (const auto& row :
           tx.exec("select version, name, checksum from scpipe.schema_migrations"))
        applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
      tx.commit();
    }
    std::map<int, const migration*> known;
    for (const auto& m : migrations)
      known[*migration_version(m.name)] = &m;
    for (const auto& [version, a] : applied)
      if (!known.count(version))
        throw migration_error{"the database has migration " + a.name
                              + " applied, which this scpipe does not know: is it older than the "
                                "scpipe that migrated the database?"};
    for (const auto& m : migrations) {
      auto version = *migration_version(m.name);
      pqxx::work tx{conn};
      auto checksum = tx.exec_params1("select md5($1)", m.sql)[0].as<std::string>();
      if (auto it = applied.find(version); it != applied.end()) {
        if (it->second.checksum != checksum)
          throw migration_error{m.name + " was changed after it was applied (checksum "
                                + it->second.checksum + " recorded, " + checksum
                                + " now); migrations are forward-only: add a new one instead"};
        ++result.already_applied;
        continue;
      }
      try {
        tx.exec(m.sql);
      } catch (const pqxx::sql_error& e) {
        throw migration_error{m.name + ": " + error_text(e, false) + "; nothing of it was applied"};
      }
      tx.exec_params(
          "insert into scpipe.schema_migrations (version, name, checksum) values ($1, $2, $3)",
          version, m.name, checksum);
      tx.commit();
      log::info("migrate", "migration applied", {{"migration", m.name}});
      result.applied.push_back(m.name);
    }
    for (const auto& script : options.scripts_after) {
      pqxx::work tx{conn};
      try {
        tx.exec(script.sql);
      } catch (const pqxx::sql_error& e) {
        std::string hint;
        if (sqlstate_of(e) == "42501")
          hint = " (creating roles takes CREATEROLE, granting takes owning scpipe's objects: run "
                 "scpipe migrate as their owner, or let a superuser create the roles first)";
        throw migration_error{script.name + ": " + error_text(e, false) + hint
                              + "; nothing of it was applied"};
      }
      tx.commit();
      log::info("migrate", "script applied", {{"script", script.name}});
      result.scripts_applied.push_back(script.name);
    }
  } catch (const pqxx::failure& e) {
    throw migration_error{"migrate: " + one_line(e.what())};
  }
  return result;
}

} // namespace scpipe::db
