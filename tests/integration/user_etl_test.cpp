// The user ETL (sql/0003, db::run_user_etl) against a real PostgreSQL: docs/schema.md's rules.

#include "db/user_etl.hpp"
#include "support/database.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <atomic>
#include <thread>

using namespace scpipe;

namespace {

class user_etl : public ::testing::Test {
protected:
  void SetUp() override {
    db.migrate();
    exec("set timezone = 'UTC'");
  }

  pqxx::result exec(const std::string& sql) {
    pqxx::nontransaction tx{conn};
    return tx.exec(sql);
  }

  /// Inserts documents as an upstream system would, one load (one statement).
  void load_documents(const std::vector<std::string>& docs) {
    pqxx::nontransaction tx{conn};
    std::string values;
    for (const auto& d : docs)
      values += (values.empty() ? "(" : ", (") + tx.quote(d) + ")";
    tx.exec("insert into staging.sc_user_document (user_document) values " + values);
  }

  void load_crm(const std::string& email, const std::string& industry, const std::string& region,
                const std::string& company) {
    pqxx::nontransaction tx{conn};
    tx.exec(
        "insert into staging.crm_customer (customer_email, industry, region, company_name) values ("
        + tx.quote(email) + ", " + tx.quote(industry) + ", " + tx.quote(region) + ", "
        + tx.quote(company) + ")");
  }

  db::etl_summary etl(const std::string& tz = "UTC", bool full = false) {
    return db::run_user_etl(conn, tz, full);
  }

  /// Users 1..n (e-mail u<i>@x) in one load, then a run: its summary.
  db::etl_summary load_users_and_run(int n) {
    std::vector<std::string> docs;
    for (int i = 1; i <= n; ++i)
      docs.push_back(doc(i, "u" + std::to_string(i) + "@x"));
    load_documents(docs);
    return etl();
  }

  std::string one(const std::string& sql) {
    return db.scalar(sql);
  }

  long count(const std::string& sql) {
    return std::stol(one(sql));
  }

  static std::string doc(int id, const std::string& email, const std::string& extra = "") {
    return R"({"user_id": ")" + std::to_string(id) + R"(", "user_email": ")" + email
           + R"(", "signup_ts": "2019-04-02T10:15:00", "active": "TRUE", "on_trial": "FALSE")"
           + extra + "}";
  }

  test::test_database db;
  pqxx::connection conn = db.connect();
};

void expect_counts(const db::etl_summary& s, int64_t inserted, int64_t changed, int64_t unchanged,
                   int64_t rejected) {
  EXPECT_EQ(s.inserted, inserted) << "inserted";
  EXPECT_EQ(s.changed, changed) << "changed";
  EXPECT_EQ(s.unchanged, unchanged) << "unchanged";
  EXPECT_EQ(s.rejected, rejected) << "rejected";
}

} // namespace

TEST_F(user_etl, new_user_is_inserted_in_force_from_1970_to_2199_with_typed_fields) {
  load_documents({doc(7, "grover@monster.org")});
  load_crm("grover@monster.org", "Education", "USA", "Furry Arms, Inc");
  expect_counts(etl(), 1, 0, 0, 0);
  auto r = exec("select user_id, user_email, on_trial, user_industry, user_region, user_company, "
                "signup_ts::text, active, effective_from_ts::text, effective_to_ts::text "
                "from only sc.sc_user");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].as<int>(), 7);
  EXPECT_EQ(r[0][1].as<std::string>(), "grover@monster.org");
  EXPECT_FALSE(r[0][2].as<bool>());
  EXPECT_EQ(r[0][3].as<std::string>(), "Education");
  EXPECT_EQ(r[0][4].as<std::string>(), "USA");
  EXPECT_EQ(r[0][5].as<std::string>(), "Furry Arms, Inc");
  EXPECT_EQ(r[0][6].as<std::string>(), "2019-04-02 10:15:00+00");
  EXPECT_TRUE(r[0][7].as<bool>());
  EXPECT_EQ(r[0][8].as<std::string>(), "1970-01-01 00:00:00+00");
  EXPECT_EQ(r[0][9].as<std::string>(), "2199-12-31 00:00:00+00");
}

TEST_F(user_etl, upstream_quirks_numbers_booleans_and_strings_are_all_understood) {
  load_documents(
      {R"({"user_id": 8, "user_email": "a@x", "active": true, "on_trial": false})",
       R"({"user_id": " 9 ", "user_email": "b@x", "active": "false", "on_trial": "1"})"});
  expect_counts(etl(), 2, 0, 0, 0);
  EXPECT_EQ(
      one("select string_agg(user_id || ':' || active || ':' || on_trial, ',' order by user_id) "
          "from only sc.sc_user"),
      "8:true:false,9:false:true");
}

TEST_F(user_etl, times_without_zone_are_in_the_configured_time_zone) {
  load_documents({R"({"user_id": 1, "signup_ts": "2019-04-02T10:15:00"})",
                  R"({"user_id": 2, "signup_ts": "2019-04-02T10:15:00Z"})",
                  R"({"user_id": 3, "signup_ts": "2019-04-02T10:15:00.25+05:30"})",
                  R"({"user_id": 4, "signup_ts": "4/2/2019 10:15:00"})"});
  expect_counts(etl("Australia/Sydney"), 4, 0, 0, 0);
  EXPECT_EQ(one("select string_agg(signup_ts::text, ',' order by user_id) from only sc.sc_user"),
            "2019-04-01 23:15:00+00,2019-04-02 10:15:00+00,2019-04-02 04:45:00.25+00,"
            "2019-04-01 23:15:00+00");
}

TEST_F(user_etl, unknown_time_zone_fails_the_run_and_changes_nothing) {
  load_documents({doc(1, "a@x")});
  for (const char* zone : {"Mars/Olympus", "PST"}) {
    try {
      etl(zone);
      ADD_FAILURE() << zone << " was taken for a time zone";
    } catch (const pqxx::sql_error& e) {
      EXPECT_NE(std::string{e.what()}.find("is not a time zone name (etl.timezone"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(count("select count(*) from sc.sc_user"), 0);
  EXPECT_EQ(count("select count(*) from scpipe.etl_run"), 0);
}

TEST_F(user_etl, new_document_with_changes_moves_the_old_version_to_history) {
  load_documents({doc(7, "grover@monster.org")});
  etl();
  auto first_created = one("select created_on_ts::text from only sc.sc_user");
  load_documents({doc(7, "grover@monster.org", R"(, "active": "FALSE")")});
  auto s = etl();
  expect_counts(s, 0, 1, 0, 0);
  auto hist = exec("select active, effective_from_ts::text, effective_to_ts, created_on_ts::text "
                   "from sc.sc_user_hist");
  ASSERT_EQ(hist.size(), 1u);
  EXPECT_TRUE(hist[0][0].as<bool>());
  EXPECT_EQ(hist[0][1].as<std::string>(), "1970-01-01 00:00:00+00");
  EXPECT_EQ(hist[0][3].as<std::string>(), first_created);
  auto cur =
      exec("select u.active, u.effective_from_ts = h.effective_to_ts, u.effective_to_ts::text "
           "from only sc.sc_user u join sc.sc_user_hist h using (user_id)");
  ASSERT_EQ(cur.size(), 1u);
  EXPECT_FALSE(cur[0][0].as<bool>());
  EXPECT_TRUE(cur[0][1].as<bool>()) << "the new version starts where the old one ends";
  EXPECT_EQ(cur[0][2].as<std::string>(), "2199-12-31 00:00:00+00");
  EXPECT_EQ(count("select count(*) from sc.sc_user"), 2) << "every version, without only";
}

TEST_F(user_etl, new_crm_row_alone_changes_the_user) {
  load_documents({doc(7, "grover@monster.org"), doc(8, "elmo@monster.org")});
  load_crm("grover@monster.org", "Education", "USA", "Sesame");
  etl();
  load_crm("grover@monster.org", "Mining", "USA", "Sesame");
  auto s = etl();
  expect_counts(s, 0, 1, 0, 0); // elmo is not even looked at
  EXPECT_EQ(one("select user_industry from only sc.sc_user where user_id = 7"), "Mining");
  EXPECT_EQ(one("select user_industry from sc.sc_user_hist where user_id = 7"), "Education");
}

TEST_F(user_etl, unchanged_user_is_not_touched_and_a_rerun_is_a_noop) {
  load_documents({doc(7, "grover@monster.org")});
  etl();
  auto before = one(
      "select created_on_ts::text || effective_from_ts::text || xmin::text from only sc.sc_user");
  load_documents({doc(7, "grover@monster.org")}); // same content again
  expect_counts(etl(), 0, 0, 1, 0);
  expect_counts(etl(), 0, 0, 0, 0);
  EXPECT_EQ(one("select created_on_ts::text || effective_from_ts::text || xmin::text from only "
                "sc.sc_user"),
            before);
  EXPECT_EQ(count("select count(*) from sc.sc_user_hist"), 0);
}

TEST_F(user_etl, last_loaded_document_wins_within_one_load_and_across_loads) {
  load_documents({doc(7, "first@x"), doc(7, "second@x"), doc(8, "a@x")});
  etl();
  EXPECT_EQ(one("select user_email from only sc.sc_user where user_id = 7"), "second@x");
  load_documents({doc(7, "third@x")});
  load_documents({doc(7, "fourth@x")});
  expect_counts(etl(), 0, 1, 0, 0);
  EXPECT_EQ(one("select user_email from only sc.sc_user where user_id = 7"), "fourth@x");
  EXPECT_EQ(count("select count(*) from sc.sc_user_hist where user_id = 7"), 1);
}

TEST_F(user_etl, crm_matches_email_case_insensitively_and_last_loaded_wins) {
  load_documents({doc(7, "Grover@Monster.ORG")});
  load_crm("grover@monster.org", "Education", "USA", "Old Co");
  load_crm("GROVER@MONSTER.ORG", "Education", "USA", "New Co");
  etl();
  EXPECT_EQ(one("select user_company from only sc.sc_user"), "New Co");
}

TEST_F(user_etl, an_incremental_run_finds_each_users_latest_crm_row_whichever_way_it_looks) {
  // A run with few users reads the CRM rows by three ways (docs/schema.md, "CRM attributes"):
  // the run's new rows, the current row of a user keeping its e-mail, a probe for the others.
  // Each must give the row loaded last; `etl --full` (one sort of every row) agrees.
  load_documents({doc(1, "a@x"), doc(2, "b@x"), doc(3, "c@x"), doc(4, "d@x")});
  load_crm("a@x", "A1", "r", "co");
  load_crm("b@x", "B1", "r", "co");
  load_crm("c@x", "C1", "r", "co");
  load_crm("e@x", "E1", "r", "co");
  etl();
  for (int id = 1; id <= 60; ++id) // enough other users that the run counts as small
    load_crm("other" + std::to_string(id) + "@x", "O", "r", "co");
  load_documents({
      doc(1, "a@x", R"(, "active": "FALSE")"), // keeps its e-mail: its current attributes
      doc(2, "E@X"),                           // a new e-mail with an old CRM row: a probe
      doc(3, "C@x", R"(, "active": "FALSE")"), // keeps it (case aside), and a new row came
      doc(4, "d@x", R"(, "active": "FALSE")"), // keeps it, never had a CRM row
      doc(5, "A@x"),                           // a new user sharing user 1's e-mail
  });
  load_crm("c@X", "C2", "r", "co");
  expect_counts(etl(), 1, 4, 0, 0);
  EXPECT_EQ(one("select string_agg(user_id || ':' || user_industry, ',' order by user_id) "
                "from only sc.sc_user"),
            "1:A1,2:E1,3:C2,4:unknown,5:A1");
  expect_counts(etl("UTC", true), 0, 0, 5, 0);
}

TEST_F(user_etl, user_without_crm_row_gets_unknown) {
  load_documents({doc(7, "nobody@x")});
  etl();
  EXPECT_EQ(
      one("select user_industry || '/' || user_region || '/' || user_company from only sc.sc_user"),
      "unknown/unknown/unknown");
}

TEST_F(user_etl, malformed_documents_are_recorded_with_reasons_and_the_rest_load) {
  load_documents(
      {doc(1, "good@x"), R"({"user_id": "abc"})", R"({"user_email": "no-id@x"})",
       R"({"user_id": 99999999999})", R"({"user_id": 5, "signup_ts": "2019-02-30T00:00:00"})",
       R"({"user_id": 6, "active": "maybe"})", R"([1, 2])",
       R"({"user_id": 7, "inspection": [{"inspection_id": "1", "inspection_ts": "13/45/2019 9:00:00"}]})",
       doc(2, "also-good@x")});
  auto s = etl();
  expect_counts(s, 2, 0, 0, 7);
  auto r = exec("select reason from scpipe.rejected_user_document order by load_seq");
  std::vector<std::string> reasons;
  for (const auto& row : r)
    reasons.push_back(row[0].as<std::string>());
  EXPECT_EQ(reasons, (std::vector<std::string>{
                         "user_id is not an integer of at most 32 bits: \"abc\"",
                         "user_id is missing",
                         "user_id is not an integer of at most 32 bits: 99999999999",
                         "signup_ts is not a timestamp: 2019-02-30T00:00:00",
                         "active is not a boolean: \"maybe\"",
                         "document is not a JSON object",
                         "inspection[0]: inspection_ts is not a timestamp: 13/45/2019 9:00:00",
                     }));
  EXPECT_EQ(one("select string_agg(user_id::text, ',' order by user_id) from only sc.sc_user"),
            "1,2");
}

TEST_F(user_etl, documents_jsonb_cannot_hold_are_rejected_instead_of_blocking_every_run) {
  load_documents({doc(1, "good@x"), R"({"user_id": 2, "user_email": "\u0000"})",
                  R"({"user_id": 3, "c": 1e999999})", R"({"user_id": "7\u2003"})",
                  doc(4, "good2@x")});
  auto s = etl();
  expect_counts(s, 2, 0, 0, 3);
  EXPECT_EQ(
      one("select string_agg(reason, ' | ' order by load_seq) from scpipe.rejected_user_document"),
      "document holds a value jsonb cannot store here (a \\u escape the database cannot represent, "
      "or a number out of range) | "
      "document holds a value jsonb cannot store here (a \\u escape the database cannot represent, "
      "or a number out of range) | "
      "user_id is not an integer of at most 32 bits: \"7\u2003\"");
  load_documents({doc(5, "next@x")});
  expect_counts(etl(), 1, 0, 0, 0); // and the next run goes on
}

TEST_F(user_etl, never_touches_a_users_table_named_like_its_work_tables) {
  exec("create table public.etl_doc (x int); insert into public.etl_doc values (1)");
  load_documents({doc(1, "a@x")});
  auto fresh = db.connect(); // a session without temporary tables yet
  db::run_user_etl(fresh, "UTC");
  EXPECT_EQ(one("select count(*) from public.etl_doc"), "1");
}

TEST_F(user_etl, refuses_to_run_outside_read_committed) {
  pqxx::transaction<pqxx::isolation_level::repeatable_read> tx{conn};
  EXPECT_THROW(tx.exec("select scpipe.run_user_etl('UTC')"), pqxx::sql_error);
}

TEST_F(user_etl, rejected_latest_document_leaves_the_earlier_usable_one_in_force) {
  load_documents({doc(7, "good@x"), R"({"user_id": 7, "signup_ts": "yesterday"})"});
  expect_counts(etl(), 1, 0, 0, 1);
  EXPECT_EQ(one("select user_email from only sc.sc_user"), "good@x");
}

TEST_F(user_etl, nested_arrays_are_flattened_and_replaced_when_the_document_changes) {
  load_documents({doc(7, "g@x", R"(, "checklist": [
      {"checklist_id": "31", "created_on": "2019-04-02T11:00:00", "checklist_name": "Fire exits"},
      {"checklist_id": "32", "created_on": "2019-04-02T12:00:00", "checklist_name": "Ladders"}],
    "inspection": [{"created_ts": "2019-04-03T09:00:00", "inspection_id": "88", "inspection_ts": "4/3/2019 9:05:00"}])")});
  etl();
  EXPECT_EQ(
      one("select string_agg(checklist_id || '=' || checklist_name || '@' || created_on_ts, ',' "
          "order by checklist_id) from sc.sc_user_checklist where user_id = 7"),
      "31=Fire exits@2019-04-02 11:00:00+00,32=Ladders@2019-04-02 12:00:00+00");
  EXPECT_EQ(one("select inspection_id || '@' || inspection_ts || '/' || created_ts from "
                "sc.sc_user_inspection"),
            "88@2019-04-03 09:05:00+00/2019-04-03 09:00:00+00");
  load_documents(
      {doc(7, "g@x", R"(, "checklist": [{"checklist_id": "33", "checklist_name": "Roof"}])")});
  etl();
  EXPECT_EQ(one("select string_agg(checklist_id, ',') from sc.sc_user_checklist"), "33");
  EXPECT_EQ(count("select count(*) from sc.sc_user_inspection"), 0);
}

TEST_F(user_etl, history_joins_each_event_to_the_version_in_force_at_its_time) {
  load_documents({doc(7, "g@x")});
  load_crm("g@x", "Education", "USA", "First Co");
  etl();
  auto between = one("select clock_timestamp()::text");
  load_crm("g@x", "Education", "USA", "Second Co");
  etl();
  exec("insert into sc.sc_user_event (user_id, event_type, event_ts) values "
       "(7, 'login', '2019-05-01'), (7, 'login', '"
       + between + "'), (7, 'login', now() + interval '1 day')");
  auto r = exec("select e.event_ts < '" + between
                + "'::timestamptz + interval '1 second', u.user_company "
                  "from sc.sc_user_event e join sc.sc_user u on e.user_id = u.user_id "
                  "and e.event_ts >= u.effective_from_ts and e.event_ts < u.effective_to_ts "
                  "order by e.event_ts");
  ASSERT_EQ(r.size(), 3u) << "each event joins exactly one version";
  EXPECT_EQ(r[0][1].as<std::string>(), "First Co");
  EXPECT_EQ(r[1][1].as<std::string>(), "First Co");
  EXPECT_EQ(r[2][1].as<std::string>(), "Second Co");
}

TEST_F(user_etl, concurrent_runs_never_leave_two_current_rows_or_break_a_key) {
  load_users_and_run(200);
  for (int round = 0; round < 3; ++round) {
    std::vector<std::string> changed;
    for (int i = 1; i <= 200; i += 2)
      changed.push_back(doc(i, "u" + std::to_string(i) + "-r" + std::to_string(round) + "@x"));
    load_documents(changed);
    std::vector<db::etl_summary> results(3);
    std::vector<std::thread> runners;
    for (auto& r : results)
      runners.emplace_back([this, &r] {
        auto c = db.connect();
        r = db::run_user_etl(c, "UTC");
      });
    for (auto& t : runners)
      t.join();
    int64_t changed_total = 0;
    for (const auto& r : results)
      changed_total += r.changed;
    EXPECT_EQ(changed_total, 100) << "round " << round << ": the change was applied exactly once";
  }
  EXPECT_EQ(count("select count(*) from only sc.sc_user"), 200);
  EXPECT_EQ(count("select count(*) from sc.sc_user_hist"), 300);
  EXPECT_EQ(count("select count(*) from (select user_id from sc.sc_user where effective_to_ts = "
                  "'2199-12-31' group by user_id having count(*) > 1) d"),
            0);
}

TEST_F(user_etl, incremental_run_looks_only_at_what_arrived) {
  expect_counts(load_users_and_run(500), 500, 0, 0, 0);
  load_documents({doc(10, "u10@x"), doc(11, "changed@x")});
  load_crm("u12@x", "Mining", "EU", "Co");
  auto s = etl();
  expect_counts(s, 0, 2, 1, 0); // 3 users considered out of 500
  auto full = etl("UTC", true);
  expect_counts(full, 0, 0, 500, 0); // a full recompute agrees: nothing left to change
}

TEST_F(user_etl, a_company_move_leaves_the_users_row_on_its_page) {
  // sql/0014: the pages of sc.sc_user keep room, so an update that changes no indexed column
  // (a company move) can put the new version beside the old one and write no index entry.
  expect_counts(load_users_and_run(2000), 2000, 0, 0, 0);
  const std::string page_of_movers = "select string_agg((ctid::text::point)[0]::text, ',' order "
                                     "by user_id) from only sc.sc_user where user_id % 20 = 0";
  auto pages_before = one(page_of_movers);
  exec("insert into staging.crm_customer (customer_email, industry, region, company_name) "
       "select 'u' || i || '@x', 'Mining', 'EU', 'Moved ' || i "
       "from generate_series(20, 2000, 20) i");
  expect_counts(etl(), 0, 100, 0, 0);
  EXPECT_EQ(count("select count(*) from only sc.sc_user where user_company like 'Moved %'"), 100);
  EXPECT_EQ(count("select count(*) from sc.sc_user_hist"), 100);
  EXPECT_EQ(one(page_of_movers), pages_before);
}

TEST_F(user_etl, timestamp_parser_accepts_upstream_forms_and_never_raises) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2019-04-02T10:15:00", "2019-04-02 20:15:00+00"}, // Pacific/Honolulu is UTC-10
      {"2019-04-02 10:15:00", "2019-04-02 20:15:00+00"},
      {"2019-04-02T10:15:00.123456Z", "2019-04-02 10:15:00.123456+00"},
      {"2019-04-02T10:15:00-03", "2019-04-02 13:15:00+00"},
      {"2019-04-02T10:15:00+0530", "2019-04-02 04:45:00+00"},
      {"2019-04-02T10:15:00+05:30", "2019-04-02 04:45:00+00"},
      {"4/3/2019 9:00:00", "2019-04-03 19:00:00+00"},
      {"12/31/2019 23:59:59", "2020-01-01 09:59:59+00"},
      {"2/29/2020 0:00:00", "2020-02-29 10:00:00+00"},
      {"2/29/2019 0:00:00", "NULL"},
      {"2019-02-29T00:00:00", "NULL"},
      {"2019-13-01T00:00:00", "NULL"},
      {"2019-04-31T00:00:00", "NULL"},
      {"2019-04-02T24:00:00", "NULL"},
      {"2019-04-02T10:60:00", "NULL"},
      {"2019-04-02T10:15:00+16:00", "NULL"},
      {"0000-01-01T00:00:00", "NULL"},
      {"13/1/2019 9:00:00", "NULL"},
      {"4/3/19 9:00:00", "NULL"},
      {"yesterday", "NULL"},
      {"", "NULL"},
  };
  pqxx::nontransaction tx{conn};
  for (const auto& [input, expected] : cases) {
    auto r = tx.exec("select scpipe.parse_upstream_ts(" + tx.quote(input)
                     + ", 'Pacific/Honolulu')::text");
    auto got = r[0][0].is_null() ? "NULL" : r[0][0].as<std::string>();
    EXPECT_EQ(got, expected) << input;
  }
}

TEST_F(user_etl, a_run_waits_for_a_load_in_flight_so_no_document_is_skipped) {
  // Without the wait, a load that took its load_seq values before the run but committed after
  // it would sit below the run's watermark forever.
  auto loader = db.connect();
  pqxx::work load{loader};
  load.exec("insert into staging.sc_user_document (user_document) values ('{\"user_id\": 1}')");
  std::atomic<bool> finished{false};
  db::etl_summary summary;
  std::thread runner{[&] {
    auto c = db.connect();
    summary = db::run_user_etl(c, "UTC");
    finished = true;
  }};
  ASSERT_TRUE(test::eventually([&] { return finished || db.lock_waiters() == 1; },
                               std::chrono::seconds{20}));
  EXPECT_FALSE(finished) << "the run did not wait for the load in flight";
  load.commit();
  runner.join();
  EXPECT_EQ(summary.inserted, 1) << "the run skipped the document of the load it waited for";
  EXPECT_EQ(summary.document_seq, 1);
}
