// The least-privilege roles (sql/roles.sql, database.create_roles) against a real PostgreSQL:
// each group role does its part of scpipe through the real binary, and anything else fails with
// SQLSTATE 42501 (insufficient_privilege).
//
// Roles are cluster-wide and the suite's databases share one cluster, so the group roles may
// exist already (made by another test's migrate, or by a parallel one right now). Each test
// makes login roles of its own, with unique names, and drops them at its end.

#include "db/event_partitions.hpp"
#include "db/event_writer.hpp"
#include "db/migrator.hpp"
#include "support/database.hpp"
#include "support/process.hpp"
#include "support/producer.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <future>
#include <unistd.h>

using namespace std::chrono_literals;
using namespace scpipe;
using namespace scpipe::test;

namespace {

const std::string seed_dir = std::string{SCPIPE_SOURCE_DIR} + "/seed/";

/// Statements run as `sql` in a connection of the PG* environment (the suite's administrator).
void admin_exec(const std::string& sql) {
  pqxx::connection conn{""};
  pqxx::nontransaction{conn}.exec(sql);
}

/// A LOGIN role in some of the group roles, dropped when the test ends.
class login_role {
public:
  explicit login_role(const std::string& groups) {
    static std::atomic<int> n{0};
    name_ = "scpipe_test_login_" + std::to_string(getpid()) + "_" + std::to_string(n++);
    admin_exec("drop role if exists " + name_ + "; create role " + name_ + " login password '"
               + password_ + "' in role " + groups);
  }
  ~login_role() {
    try {
      admin_exec("drop role if exists " + name_);
    } catch (...) {
      // a leftover login in a throwaway cluster is harmless
    }
  }
  login_role(const login_role&) = delete;
  login_role& operator=(const login_role&) = delete;

  /// Connection string for `db` as this login (over TCP: the test clusters ask for passwords).
  std::string url(const test_database& db) const {
    return "dbname=" + db.name() + " user=" + name_ + " password=" + password_;
  }
  /// Environment pointing a scpipe subprocess at `db` as this login.
  std::map<std::string, std::string> env(const test_database& db) const {
    return {{"SCPIPE_DATABASE_URL", url(db)}};
  }
  pqxx::connection connect(const test_database& db) const {
    return pqxx::connection{url(db)};
  }

private:
  std::string name_;
  std::string password_ = "scpipe-test-password";
};

/// The SQLSTATE `sql` fails with as the connection's user, "" when it succeeds. Always rolled
/// back, so a statement that wrongly succeeds changes nothing for the next one.
std::string sqlstate_of(pqxx::connection& conn, const std::string& sql) {
  try {
    pqxx::work tx{conn};
    tx.exec(sql);
    tx.abort();
    return "";
  } catch (const pqxx::insufficient_privilege& e) {
    return "42501"; // libpqxx 6.4 throws this class without its SQLSTATE
  } catch (const pqxx::sql_error& e) {
    return e.sqlstate() + ": " + e.what();
  }
}

/// Every statement of `sqls` is refused for lack of privilege.
void expect_denied(pqxx::connection& conn, const std::vector<std::string>& sqls) {
  for (const auto& sql : sqls)
    EXPECT_EQ(sqlstate_of(conn, sql), "42501") << "as " << conn.username() << ": " << sql;
}

std::map<std::string, std::string> with(std::map<std::string, std::string> env,
                                        const std::map<std::string, std::string>& more) {
  for (const auto& [k, v] : more)
    env[k] = v;
  return env;
}

const std::map<std::string, std::string> roles_on{{"SCPIPE_DATABASE_CREATE_ROLES", "true"}};

/// `scpipe migrate` as the administrator, roles on or off.
run_result migrate(const test_database& db, bool create_roles) {
  return run({SCPIPE_BINARY, "migrate"},
             with(db.env(), {{"SCPIPE_DATABASE_CREATE_ROLES", create_roles ? "true" : "false"}}));
}

/// ACL entries of this database's schemas, tables, functions, default privileges and the
/// database itself that name one of the three group roles, as text.
std::string role_acls(const test_database& db) {
  return db.scalar(R"(
    select coalesce(string_agg(acl, ' ' order by acl), '')
    from (select n.nspname || ':' || n.nspacl::text as acl from pg_namespace n
          union all
          select c.oid::regclass::text || ':' || c.relacl::text from pg_class c
          union all
          select p.oid::regprocedure::text || ':' || p.proacl::text from pg_proc p
          union all
          select 'default:' || d.defaclacl::text from pg_default_acl d
          union all
          select 'database:' || d.datacl::text from pg_database d
          where d.datname = current_database()) a
    where acl ~ 'scpipe_(writer|etl|analyst)=')");
}

class roles : public ::testing::Test {
protected:
  int64_t count(const std::string& sql) {
    return std::stoll(db.scalar(sql));
  }

  void migrate_with_roles() {
    auto r = migrate(db, true);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
  }

  test_database db;
  scratch_files files;
};

} // namespace

// -- the option --------------------------------------------------------------------------------

TEST_F(roles, migrate_without_create_roles_creates_no_roles_and_grants_nothing) {
  auto existed = count("select count(*) from pg_roles where rolname in "
                       "('scpipe_writer', 'scpipe_etl', 'scpipe_analyst')");
  auto r = migrate(db, false);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("roles"), std::string::npos) << r.out;
  if (existed == 0) {
    EXPECT_EQ(count("select count(*) from pg_roles where rolname in "
                    "('scpipe_writer', 'scpipe_etl', 'scpipe_analyst')"),
              0);
  }
  // Roles another test made are cluster-wide; in this database they hold nothing.
  EXPECT_EQ(role_acls(db), "");
  // Nothing of PUBLIC's defaults was touched either.
  EXPECT_EQ(count("select count(*) from pg_proc where pronamespace = 'scpipe'::regnamespace "
                  "and proacl is not null"),
            0);
}

TEST_F(roles, migrate_creates_them_when_turned_on_later_and_repeats_without_change) {
  ASSERT_EQ(migrate(db, false).code, 0);
  auto on = migrate(db, true);
  ASSERT_EQ(on.code, 0) << on.err;
  EXPECT_NE(on.out.find("0 migration(s) applied"), std::string::npos) << on.out;
  EXPECT_NE(on.out.find("roles scpipe_writer, scpipe_etl, scpipe_analyst: present, privileges "
                        "granted"),
            std::string::npos)
      << on.out;
  EXPECT_EQ(db.scalar("select string_agg(rolname || ':' || rolcanlogin, ',' order by rolname) "
                      "from pg_roles where rolname in "
                      "('scpipe_writer', 'scpipe_etl', 'scpipe_analyst')"),
            "scpipe_analyst:false,scpipe_etl:false,scpipe_writer:false");
  EXPECT_EQ(db.scalar("select has_table_privilege('scpipe_writer', 'sc.sc_user_event', 'INSERT')"),
            "t");
  // The roles script is not a migration: nothing new is recorded.
  EXPECT_EQ(count("select count(*) from scpipe.schema_migrations"),
            static_cast<int64_t>(db::embedded_migrations().size()));

  auto granted = role_acls(db);
  EXPECT_NE(granted, "");
  // A privilege granted by hand to a group role is taken back: the file is the whole truth.
  {
    auto conn = db.connect();
    pqxx::nontransaction{conn}.exec("grant delete on sc.sc_user_event to scpipe_writer");
  }
  auto again = migrate(db, true);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("0 migration(s) applied"), std::string::npos) << again.out;
  EXPECT_EQ(role_acls(db), granted);
  EXPECT_EQ(db.scalar("select has_table_privilege('scpipe_writer', 'sc.sc_user_event', 'DELETE')"),
            "f");
}

TEST_F(roles, concurrent_migrates_of_two_databases_both_create_or_find_the_roles) {
  test_database other;
  auto a = std::async(std::launch::async, [&] { return migrate(db, true); });
  auto b = std::async(std::launch::async, [&] { return migrate(other, true); });
  auto ra = a.get();
  auto rb = b.get();
  EXPECT_EQ(ra.code, 0) << ra.err;
  EXPECT_EQ(rb.code, 0) << rb.err;
  EXPECT_NE(role_acls(db), "");
  EXPECT_EQ(role_acls(db), role_acls(other));
}

// -- scpipe_writer -----------------------------------------------------------------------------

TEST_F(roles, writer_runs_the_event_path_and_replay_and_nothing_else) {
  migrate_with_roles();
  // A database rule that refuses one event, so a batch takes the isolate-and-recount path.
  {
    auto conn = db.connect();
    pqxx::nontransaction{conn}.exec(
        "alter table sc.sc_user_event add constraint test_not_666 check (user_id <> 666)");
  }
  login_role writer{"scpipe_writer"};
  {
    // Only the writer: the ETL scheduler's first run (at start) is refused, events flow.
    running_service s{writer.env(db)};
    producer p{s.endpoint};
    auto ok = p.request("w-1", events_payload(5));
    EXPECT_EQ(ok.body.status, reply_status::ok) << ok.text;
    auto dup = p.request("w-1", events_payload(5));
    EXPECT_EQ(dup.body.status, reply_status::duplicate) << dup.text;
    auto mixed =
        p.request("w-2",
                  R"([{"user_id": 1, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"},
            {"user_id": "x7", "event_type": "login", "event_time": "2019-05-13T03:11:04Z"},
            {"user_id": 666, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"}])");
    EXPECT_EQ(mixed.body.status, reply_status::partial) << mixed.text;
    EXPECT_EQ(mixed.body.accepted, 1u) << mixed.text;
    EXPECT_EQ(mixed.body.rejected, 2u) << mixed.text;
    // With a producer session: its producer locked, its run read and written, and the run's
    // counts corrected for the row the rule refused.
    p.send_frames({"s-1", events_payload(1), "writer-session 1"});
    auto session_ok = p.receive(10s);
    ASSERT_TRUE(session_ok);
    EXPECT_EQ(session_ok->body.status, reply_status::ok) << session_ok->text;
    p.send_frames({"s-2",
                   R"([{"user_id": 2, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"},
            {"user_id": 666, "event_type": "login", "event_time": "2019-05-13T03:11:04Z"}])",
                   "writer-session 2"});
    auto session_partial = p.receive(10s);
    ASSERT_TRUE(session_partial);
    EXPECT_EQ(session_partial->body.status, reply_status::partial) << session_partial->text;
    p.send_frames({"s-1 again", events_payload(1), "writer-session 1"});
    auto session_dup = p.receive(10s);
    ASSERT_TRUE(session_dup);
    EXPECT_EQ(session_dup->body.status, reply_status::duplicate) << session_dup->text;
    EXPECT_TRUE(s.svc->wait_for_stderr("user etl failed", 10s)) << s.svc->err();
    EXPECT_NE(s.svc->err().find("permission denied for function try_lock_user_etl"),
              std::string::npos)
        << s.svc->err();
    EXPECT_EQ(s.stop(), 0) << s.svc->err();
  }
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 8);
  EXPECT_EQ(db.scalar("select accepted || '/' || rejected from scpipe.event_ledger "
                      "where message_id = 'w-2'::bytea"),
            "1/2");
  EXPECT_EQ(db.scalar("select string_agg(first_seq || '-' || last_seq || ':' || accepted::text "
                      "|| rejected::text, ' ' order by first_seq) from scpipe.session_ledger"),
            "1-1:{1}{0} 2-2:{1}{1}");
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event"), 3);

  // replay-rejected: the refused rows go in once their cause is gone; the other stays.
  {
    auto conn = db.connect();
    pqxx::nontransaction{conn}.exec("alter table sc.sc_user_event drop constraint test_not_666");
  }
  auto replay = run({SCPIPE_BINARY, "replay-rejected"}, writer.env(db));
  ASSERT_EQ(replay.code, 0) << replay.err;
  EXPECT_NE(replay.out.find("2 replayed (2 events written), 1 still refused"), std::string::npos)
      << replay.out;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event where user_id = 666"), 2);

  // Pruning the ledgers, as the service does: the id ledger's old generations dropped (the
  // owner files w-1 under a generation of 30 days ago, followed by one of 20 days ago, first), the
  // session ledger's old rows deleted; and the event partitions made ahead.
  {
    auto conn = db.connect();
    pqxx::nontransaction{conn}.exec(
        "select scpipe.ensure_partition('scpipe.event_ledger', 'day', now() - interval '30 days');"
        "select scpipe.ensure_partition('scpipe.event_ledger', 'day', now() - interval '20 days');"
        "update scpipe.event_ledger set ledger_day = date_trunc('day', (now() - interval '30 "
        "days') "
        "at time zone 'UTC') at time zone 'UTC' where message_id = 'w-1'::bytea");
  }
  auto conn = writer.connect(db);
  db::roll_ledger_day(conn, 7);
  EXPECT_EQ(db::drop_ledger_partitions(conn, 7).size(), 1u);
  EXPECT_EQ(count("select count(*) from scpipe.event_ledger where message_id = 'w-1'::bytea"), 0);
  EXPECT_EQ(db::prune_session_ledger(conn, 7), 0u);
  EXPECT_NO_THROW(db::make_event_partitions(conn, "month", 3));

  expect_denied(conn, {
                          "create table sc.t (x int)",
                          "create table scpipe.t (x int)",
                          "create table staging.t (x int)",
                          "create table public.t (x int)",
                          "create schema t",
                          "alter table scpipe.event_ledger add column x int",
                          "drop table sc.sc_user_event",
                          "select count(*) from sc.sc_user_event",
                          "update sc.sc_user_event set platform = 'x'",
                          "delete from sc.sc_user_event",
                          "truncate sc.sc_user_event",
                          "select count(*) from sc.sc_user",
                          "insert into sc.sc_user (user_id) values (1)",
                          "update sc.sc_user set active = true",
                          "delete from sc.sc_user",
                          "select count(*) from sc.sc_user_hist",
                          "select count(*) from sc.first_week_logins",
                          "insert into staging.sc_user_document (user_document) values ('{}')",
                          "select count(*) from staging.crm_customer",
                          "update scpipe.rejected_event set reason = 'x'",
                          "delete from scpipe.rejected_event",
                          // Runs are entered with their final counts (sql/0015), never changed.
                          "update scpipe.session_ledger set accepted = '{}'",
                          "select count(*) from scpipe.etl_run",
                          "select scpipe.run_user_etl()",
                          // Read for readiness (every migration applied?), never written.
                          "delete from scpipe.schema_migrations",
                      });
  EXPECT_EQ(sqlstate_of(conn, "select count(*) from scpipe.schema_migrations"), "");
}

// -- scpipe_etl --------------------------------------------------------------------------------

TEST_F(roles, etl_loads_staging_and_merges_users_and_nothing_else) {
  migrate_with_roles();
  login_role etl{"scpipe_etl"};
  auto as_etl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), SCPIPE_BINARY);
    auto r = run(args, etl.env(db));
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.err.find("permission denied"), std::string::npos) << r.err;
    return r;
  };
  auto pkey = "select ('sc.sc_user_pkey'::regclass)::oid";
  auto pkey_before = count(pkey);
  as_etl({"load-users", seed_dir + "users.json"});
  as_etl({"load-crm", seed_dir + "crm.csv"});
  as_etl({"etl"});
  // Every seed document is staged: a first load, whose indexes the owner's function built.
  EXPECT_NE(count(pkey), pkey_before);
  as_etl({"load-users", seed_dir + "users-later.ndjson",
          files.write("bad.ndjson", R"({"user_id": "not a number"})"
                                    "\n")});
  as_etl({"load-crm", seed_dir + "crm-later.csv"});
  auto second = as_etl({"etl"});
  EXPECT_NE(second.out.find("rejected 1"), std::string::npos) << second.out;
  as_etl({"etl", "--full"});
  EXPECT_EQ(count("select count(*) from only sc.sc_user"), 48);
  EXPECT_EQ(count("select count(*) from sc.sc_user_hist"), 7);
  EXPECT_GT(count("select count(*) from sc.sc_user_checklist"), 0);
  EXPECT_EQ(count("select count(*) from scpipe.rejected_user_document"), 1);

  auto conn = etl.connect(db);
  expect_denied(conn, {
                          "create table sc.t (x int)",
                          "create table scpipe.t (x int)",
                          "create table staging.t (x int)",
                          "create table public.t (x int)",
                          "alter table sc.sc_user add column x int",
                          "drop index sc.sc_user_lower_email",
                          "drop function scpipe.run_user_etl(text, boolean)",
                          "insert into sc.sc_user_event (user_id, event_ts, event_type) "
                          "values (1, now(), 'login')",
                          "select count(*) from sc.sc_user_event",
                          "insert into scpipe.event_ledger (message_id, accepted, rejected) "
                          "values ('x', 1, 0)",
                          "select count(*) from scpipe.event_ledger",
                          "select count(*) from scpipe.rejected_event",
                          "delete from sc.sc_user",
                          "truncate sc.sc_user",
                          "update sc.sc_user_hist set active = true",
                          "delete from sc.sc_user_hist",
                          "delete from staging.sc_user_document",
                          "truncate staging.crm_customer",
                          "delete from scpipe.etl_run",
                          "select count(*) from scpipe.schema_migrations",
                      });
}

// -- scpipe_analyst ----------------------------------------------------------------------------

TEST_F(roles, analyst_reads_the_warehouse_and_changes_nothing) {
  migrate_with_roles();
  {
    auto conn = db.connect();
    pqxx::nontransaction tx{conn};
    tx.exec(R"(insert into staging.sc_user_document (user_document) values
      ('{"user_id": 1, "user_email": "a@x", "active": true, "signup_ts": "2019-05-12T00:00:00Z",
         "checklist": [{"checklist_id": "c1", "checklist_name": "n"}],
         "inspection": [{"inspection_id": "i1"}]}'))");
    tx.exec("select scpipe.run_user_etl()");
    tx.exec(R"(insert into staging.sc_user_document (user_document) values
      ('{"user_id": 1, "user_email": "b@x", "active": true, "signup_ts": "2019-05-12T00:00:00Z",
         "checklist": [{"checklist_id": "c1", "checklist_name": "n"}],
         "inspection": [{"inspection_id": "i1"}]}'))");
    tx.exec("select scpipe.run_user_etl()");
    tx.exec("insert into sc.sc_user_event (user_id, event_ts, event_type) "
            "values (1, '2019-05-13T00:00:00Z', 'login')");
  }
  login_role analyst{"scpipe_analyst"};
  auto conn = analyst.connect(db);
  auto one = [&](const std::string& sql) {
    pqxx::nontransaction tx{conn};
    return tx.exec1(sql)[0].as<std::string>();
  };
  EXPECT_EQ(one("select count(*) from only sc.sc_user"), "1");
  EXPECT_EQ(one("select count(*) from sc.sc_user_hist"), "1");
  EXPECT_EQ(one("select count(*) from sc.sc_user"), "2");
  EXPECT_EQ(one("select count(*) from sc.sc_user_event"), "1");
  EXPECT_EQ(one("select count(*) from sc.sc_user_checklist"), "1");
  EXPECT_EQ(one("select count(*) from sc.sc_user_inspection"), "1");
  EXPECT_EQ(one("select first_week_logins from sc.first_week_logins where user_id = 1"), "1");
  EXPECT_EQ(one("select u.user_email from sc.sc_user_event e join sc.sc_user u "
                "on u.user_id = e.user_id and e.event_ts >= u.effective_from_ts "
                "and e.event_ts < u.effective_to_ts"),
            "a@x");

  auto out = std::filesystem::temp_directory_path() / ("scpipe-roles-report-" + db.name());
  auto report = run({SCPIPE_BINARY, "report", "--out=" + out.string()}, analyst.env(db));
  EXPECT_EQ(report.code, 0) << report.out << report.err;
  EXPECT_TRUE(std::filesystem::exists(out / "first_week_logins.csv"));
  std::filesystem::remove_all(out);

  expect_denied(conn, {
                          "create table sc.t (x int)",
                          "create table public.t (x int)",
                          "create view sc.v as select 1",
                          "insert into sc.sc_user (user_id) values (2)",
                          "update sc.sc_user set active = false",
                          "delete from sc.sc_user",
                          "insert into sc.sc_user_hist (user_id) values (2)",
                          "delete from sc.sc_user_hist",
                          "insert into sc.sc_user_event (user_id) values (2)",
                          "update sc.sc_user_event set platform = 'x'",
                          "delete from sc.sc_user_event",
                          "truncate sc.sc_user_event",
                          "delete from sc.sc_user_checklist",
                          "select count(*) from staging.sc_user_document",
                          "select count(*) from scpipe.event_ledger",
                          "select count(*) from scpipe.rejected_event",
                          "select scpipe.run_user_etl()",
                      });
}

// -- scpipe run --------------------------------------------------------------------------------

TEST_F(roles, service_login_in_writer_and_etl_runs_the_whole_service) {
  migrate_with_roles();
  {
    auto conn = db.connect();
    pqxx::nontransaction{conn}.exec(
        R"(insert into staging.sc_user_document (user_document) values ('{"user_id": 1}'))");
  }
  login_role service{"scpipe_writer, scpipe_etl"};
  running_service s{service.env(db)};
  EXPECT_TRUE(s.svc->wait_for_stderr("\"message\":\"user etl run\"", 20s)) << s.svc->err();
  producer p{s.endpoint};
  auto r = p.request("s-1", events_payload(3));
  EXPECT_EQ(r.body.status, reply_status::ok) << r.text;
  EXPECT_EQ(s.stop(), 0) << s.svc->err();
  EXPECT_EQ(s.svc->err().find("permission denied"), std::string::npos) << s.svc->err();
  EXPECT_EQ(count("select count(*) from only sc.sc_user"), 1);
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 3);
}
