#include "support/database.hpp"

#include "db/migrator.hpp"

#include <pqxx/nontransaction>
#include <pqxx/result>

#include <atomic>
#include <stdexcept>
#include <unistd.h>

namespace scpipe::test {

namespace {

/// A connection to the server's maintenance database (PGDATABASE, else "postgres").
pqxx::connection admin_connection() {
  try {
    auto* db = std::getenv("PGDATABASE");
    return pqxx::connection{std::string{"dbname="} + (db ? db : "postgres")};
  } catch (const std::exception& e) {
    throw std::runtime_error{std::string{"integration tests need a PostgreSQL server in the PG* "
                                         "environment (scripts/test starts one): "}
                             + e.what()};
  }
}

} // namespace

test_database::test_database() {
  static std::atomic<int> counter{0};
  name_ = "scpipe_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  auto admin = admin_connection();
  pqxx::nontransaction tx{admin};
  tx.exec("drop database if exists " + tx.quote_name(name_));
  tx.exec("create database " + tx.quote_name(name_));
}

test_database::~test_database() {
  try {
    auto admin = admin_connection();
    pqxx::nontransaction tx{admin};
    tx.exec("drop database if exists " + tx.quote_name(name_) + " with (force)");
  } catch (...) {
    // a leftover database in a throwaway cluster is harmless
  }
}

database_config test_database::config() const {
  database_config cfg;
  cfg.url = "dbname=" + name_;
  return cfg;
}

std::map<std::string, std::string> test_database::env() const {
  return {{"SCPIPE_DATABASE_URL", config().url}};
}

pqxx::connection test_database::connect() const {
  return pqxx::connection{config().url};
}

std::string test_database::scalar(const std::string& sql) const {
  auto conn = connect();
  pqxx::nontransaction tx{conn};
  tx.exec("set timezone = 'UTC'");
  auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? "NULL" : r[0][0].as<std::string>();
}

void test_database::migrate() const {
  auto conn = connect();
  db::migrate(conn, db::embedded_migrations());
}

int64_t test_database::lock_waiters() const {
  return std::stoll(scalar("select count(*) from pg_stat_activity "
                           "where datname = current_database() and wait_event_type = 'Lock'"));
}

void hold_back_last_migration(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  tx.exec0("create table public.held_migration as select * from scpipe.schema_migrations "
           "where version = (select max(version) from scpipe.schema_migrations)");
  tx.exec0("delete from scpipe.schema_migrations where version = "
           "(select version from public.held_migration)");
}

void put_back_held_migration(pqxx::connection& conn) {
  pqxx::nontransaction{conn}.exec0(
      "insert into scpipe.schema_migrations select * from public.held_migration");
}

} // namespace scpipe::test
