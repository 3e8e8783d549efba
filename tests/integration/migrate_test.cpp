// The production migrator against a real PostgreSQL.

#include "db/migrator.hpp"
#include "support/database.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <thread>

using namespace scpipe;
using test::test_database;

namespace {

long count(const test_database& db, const std::string& sql) {
  return std::stol(db.scalar(sql));
}

bool table_exists(pqxx::connection& conn, const std::string& name) {
  pqxx::nontransaction tx{conn};
  return !tx.exec1("select to_regclass(" + tx.quote(name) + ") is null")[0].as<bool>();
}

} // namespace

TEST(migrate, fresh_database_gets_every_migration_once_and_recorded) {
  test_database db;
  auto conn = db.connect();
  auto result = db::migrate(conn, db::embedded_migrations());
  EXPECT_EQ(result.applied.size(), db::embedded_migrations().size());
  EXPECT_EQ(result.already_applied, 0u);
  EXPECT_EQ(count(db, "select count(*) from scpipe.schema_migrations"),
            static_cast<long>(db::embedded_migrations().size()));
  EXPECT_TRUE(table_exists(conn, "sc.sc_user_event"));
}

TEST(migrate, second_run_is_a_noop) {
  test_database db;
  auto conn = db.connect();
  db::migrate(conn, db::embedded_migrations());
  auto recorded_at = [&] {
    pqxx::nontransaction tx{conn};
    return tx
        .exec1("select string_agg(applied_at::text, ',' order by version) from "
               "scpipe.schema_migrations")[0]
        .as<std::string>();
  };
  auto before = recorded_at();
  auto again = db::migrate(conn, db::embedded_migrations());
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.already_applied, db::embedded_migrations().size());
  EXPECT_EQ(recorded_at(), before);
}

TEST(migrate, failing_migration_leaves_nothing_half_applied) {
  test_database db;
  auto conn = db.connect();
  std::vector<db::migration> ms{
      {"0001_ok.sql", "create table ok_table (x int);"},
      {"0002_broken.sql", "create table half_table (x int);\ncreate table broken (x int,);"},
  };
  try {
    db::migrate(conn, ms);
    FAIL() << "broken migration accepted";
  } catch (const db::migration_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("0002_broken.sql"), std::string::npos) << what;
    EXPECT_NE(what.find("syntax error"), std::string::npos) << what;
    EXPECT_NE(what.find("SQLSTATE 42601"), std::string::npos) << what;
  }
  EXPECT_TRUE(table_exists(conn, "ok_table"));
  EXPECT_FALSE(table_exists(conn, "half_table"));
  EXPECT_EQ(count(db, "select count(*) from scpipe.schema_migrations"), 1);
  // Fixed, it applies on the next run.
  ms[1].sql = "create table half_table (x int);";
  auto result = db::migrate(conn, ms);
  EXPECT_EQ(result.applied, (std::vector<std::string>{"0002_broken.sql"}));
}

TEST(migrate, changed_applied_migration_is_refused) {
  test_database db;
  auto conn = db.connect();
  std::vector<db::migration> ms{{"0001_a.sql", "create table a (x int);"}};
  db::migrate(conn, ms);
  ms[0].sql = "create table a (x bigint);";
  EXPECT_THROW(
      {
        try {
          db::migrate(conn, ms);
        } catch (const db::migration_error& e) {
          EXPECT_NE(std::string{e.what()}.find("0001_a.sql was changed after it was applied"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      db::migration_error);
}

TEST(migrate, database_newer_than_the_binary_is_refused) {
  test_database db;
  auto conn = db.connect();
  db::migrate(conn, {{"0001_a.sql", "select 1;"}, {"0002_b.sql", "select 2;"}});
  EXPECT_THROW(db::migrate(conn, {{"0001_a.sql", "select 1;"}}), db::migration_error);
}

TEST(migrate, misnamed_migration_is_refused_before_touching_the_database) {
  test_database db;
  auto conn = db.connect();
  EXPECT_THROW(db::migrate(conn, {{"1_a.sql", "create table a (x int);"}}), db::migration_error);
  EXPECT_THROW(db::migrate(conn, {{"0002_a.sql", "select 1;"}, {"0001_b.sql", "select 1;"}}),
               db::migration_error);
  EXPECT_FALSE(table_exists(conn, "a"));
}

TEST(migrate, concurrent_runs_apply_each_migration_once) {
  test_database db;
  std::vector<db::migrate_result> results(4);
  std::vector<std::thread> runners;
  for (auto& r : results)
    runners.emplace_back([&db, &r] {
      auto conn = db.connect();
      r = db::migrate(conn, db::embedded_migrations());
    });
  for (auto& t : runners)
    t.join();
  size_t applied = 0;
  for (const auto& r : results)
    applied += r.applied.size();
  EXPECT_EQ(applied, db::embedded_migrations().size());
  auto conn = db.connect();
  EXPECT_EQ(count(db, "select count(*) from scpipe.schema_migrations"),
            static_cast<long>(db::embedded_migrations().size()));
}

TEST(migrate, command_applies_then_reports_nothing_to_do) {
  test_database db;
  auto first = test::run({SCPIPE_BINARY, "migrate"}, db.env());
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("applied 0001_create_schema.sql"), std::string::npos) << first.out;
  auto second = test::run({SCPIPE_BINARY, "migrate"}, db.env());
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("0 migration(s) applied"), std::string::npos) << second.out;
}

TEST(migrate, command_against_an_unreachable_database_exits_1_with_a_clear_error) {
  auto r = test::run({SCPIPE_BINARY, "migrate"},
                     {{"SCPIPE_DATABASE_URL", "postgresql://scpipe@127.0.0.1:1/none"},
                      {"SCPIPE_DATABASE_CONNECT_TIMEOUT_S", "2"}});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(test::command_messages(r.err).find(
                "scpipe migrate: cannot connect to postgresql://scpipe@127.0.0.1:1/none"),
            std::string::npos)
      << r.err;
}
