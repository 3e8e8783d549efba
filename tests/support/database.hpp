#pragma once

// A fresh PostgreSQL database per test, on the server of the PG* environment (scripts/test
// starts a throwaway one), dropped afterwards.

#include "core/config.hpp"

#include <pqxx/connection>

#include <map>
#include <string>

namespace scpipe::test {

class test_database {
public:
  /// Creates an empty database with a unique name. Fails the test with a clear message when
  /// no server is reachable.
  test_database();
  /// Drops the database (terminating leftover sessions).
  ~test_database();

  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  const std::string& name() const {
    return name_;
  }

  /// Configuration pointing scpipe at this database (url "dbname=<name>", rest from PG*).
  database_config config() const;

  /// Environment for a scpipe subprocess pointing it at this database.
  std::map<std::string, std::string> env() const;

  /// A new connection to this database.
  pqxx::connection connect() const;

  /// Applies the production migrations with the production migrator.
  void migrate() const;

  /// The first column of the first row of `sql` as text ("NULL" for SQL NULL or no row), on a
  /// connection of its own, in UTC.
  std::string scalar(const std::string& sql) const;

  /// Sessions on this database waiting for a lock now: a test waits for this rather than
  /// sleeping when it needs a statement blocked behind its lock.
  int64_t lock_waiters() const;

private:
  std::string name_;
};

/// Takes the last applied migration's row out of scpipe.schema_migrations, keeping it aside in
/// public.held_migration: the database looks one migration short, as before an upgrade's
/// scpipe migrate. put_back_held_migration then does what that scpipe migrate would record.
void hold_back_last_migration(pqxx::connection& conn);
void put_back_held_migration(pqxx::connection& conn);

} // namespace scpipe::test
