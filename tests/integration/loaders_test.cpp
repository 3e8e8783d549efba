// load-users, load-crm and etl through the real binary against a real PostgreSQL.

#include "support/database.hpp"
#include "support/process.hpp"
#include "support/service.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <csignal>
#include <fstream>

using namespace scpipe;
using test::run;

namespace {

class loaders : public ::testing::Test {
protected:
  void SetUp() override {
    db.migrate();
  }

  std::string write(const std::string& name, const std::string& text) {
    return files_.write(name, text);
  }

  test::run_result scpipe(std::vector<std::string> args) {
    args.insert(args.begin(), SCPIPE_BINARY);
    return run(args, db.env());
  }

  std::string one(const std::string& sql) {
    return db.scalar(sql);
  }

  test::test_database db;
  test::scratch_files files_;
};

} // namespace

TEST_F(loaders, json_array_documents_are_stored_as_they_came_in_load_order) {
  auto path = write("users.json",
                    "[{\"user_id\": \"7\",\t \"user_email\": \"g@x\"},\r\n {\"user_id\":\r\n8}]\n");
  auto r = scpipe({"load-users", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, path + ": 2 documents loaded into staging.sc_user_document\n");
  EXPECT_EQ(one("select string_agg(user_document::text, '|' order by load_seq) from "
                "staging.sc_user_document"),
            "{\"user_id\": \"7\",\t \"user_email\": \"g@x\"}|{\"user_id\":\r\n8}");
}

TEST_F(loaders, ndjson_loads_and_several_files_load_in_order) {
  auto a = write("a.ndjson", "{\"user_id\": 1}\n{\"user_id\": 2}\n");
  auto b = write("b.ndjson", "{\"user_id\": 3}\n");
  auto r = scpipe({"load-users", a, b});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(one("select string_agg(user_document->>'user_id', ',' order by load_seq) from "
                "staging.sc_user_document"),
            "1,2,3");
}

TEST_F(loaders, syntax_error_names_file_line_and_record_and_loads_nothing_of_that_file) {
  auto good = write("good.json", "[{\"user_id\": 1}]");
  auto bad = write("bad.json", "[{\"user_id\": 2},\n{\"user_id\": 3},\n{\"user_id\": 4,}]");
  auto r = scpipe({"load-users", good, bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(test::command_messages(r.err).find("scpipe load-users: " + bad
                                               + ":3: record 3: invalid JSON"),
            std::string::npos)
      << r.err;
  EXPECT_NE(test::command_messages(r.err).find("nothing of " + bad + " was loaded"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(one("select string_agg(user_document->>'user_id', ',') from staging.sc_user_document"),
            "1")
      << "the good file before it stays loaded, nothing of the bad one";
}

TEST_F(loaders, hostile_documents_are_refused_clearly_or_kept_verbatim_for_the_etl_to_judge) {
  // Nesting past the limit, a raw NUL byte: the file is refused, naming file, line and record.
  auto deep = write("deep.json", R"([{"user_id": 1, "x": )" + std::string(100, '[')
                                     + std::string(100, ']') + "}]");
  auto r = scpipe({"load-users", deep});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(deep + ":1: record 1: invalid JSON (too deep)"), std::string::npos) << r.err;
  std::string nul = R"([{"user_id": 2, "user_email": "a)";
  nul += '\0';
  nul += R"(b"}])";
  auto raw_nul = write("nul.json", nul);
  r = scpipe({"load-users", raw_nul});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(raw_nul + ":1: record 1: a NUL byte at offset 32"), std::string::npos)
      << r.err;
  EXPECT_EQ(one("select count(*) from staging.sc_user_document"), "0");

  // Valid JSON: SQL text, a \u0000 escape jsonb cannot hold, a 1 MiB string. Staged exactly
  // as they came; the ETL takes what fits and lists the rest with a reason.
  std::string sql_text = R"({"user_id": 3, "user_email": "x'); drop table sc.sc_user; --\\n@x"})";
  std::string escaped_nul = R"({"user_id": 4, "user_email": "a\u0000b@x"})";
  std::string huge = R"({"user_id": 5, "user_email": ")" + std::string(1 << 20, 'x') + R"("})";
  r = scpipe(
      {"load-users", write("ok.ndjson", sql_text + "\n" + escaped_nul + "\n" + huge + "\n")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(one("select string_agg(user_document::text, '|' order by load_seq) from "
                "staging.sc_user_document where load_seq < (select max(load_seq) from "
                "staging.sc_user_document)"),
            sql_text + "|" + escaped_nul);
  EXPECT_EQ(one("select length(user_document::text) from staging.sc_user_document order by "
                "load_seq desc limit 1"),
            std::to_string(huge.size()));
  r = scpipe({"etl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(one("select user_email from sc.sc_user where user_id = 3"),
            R"(x'); drop table sc.sc_user; --\n@x)");
  EXPECT_EQ(one("select string_agg(reason, ' | ' order by reason) from "
                "scpipe.rejected_user_document"),
            "document holds a value jsonb cannot store here (a \\u escape the database cannot "
            "represent, or a number out of range) | user_email is longer than 200 characters");
}

TEST_F(loaders, missing_file_is_a_clear_error) {
  auto r = scpipe({"load-users", "/nonexistent/users.json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/nonexistent/users.json: cannot open"), std::string::npos) << r.err;
}

TEST_F(loaders, crm_csv_with_bom_crlf_and_quoted_commas_maps_user_email) {
  auto path =
      write("crm.csv", "\xEF\xBB\xBFuser_email,industry,region,company_name\r\n"
                       "grover@monster.org,Education,USA,\"Furry Arms, Inc\"\r\n"
                       "elmo@monster.org,\"Toys \"\"R\"\" Us\",EU,\"Line\r\nBreak Ltd\"\r\n");
  auto r = scpipe({"load-crm", path});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, path + ": 2 rows loaded into staging.crm_customer\n");
  EXPECT_EQ(one("select string_agg(customer_email || '|' || industry || '|' || region || '|' || "
                "company_name, "
                "';' order by load_seq) from staging.crm_customer"),
            "grover@monster.org|Education|USA|Furry Arms, Inc;elmo@monster.org|Toys \"R\" "
            "Us|EU|Line\r\nBreak Ltd");
}

TEST_F(loaders, bad_crm_row_names_file_and_line_and_loads_nothing) {
  auto path = write("crm.csv", "user_email,industry,region,company_name\na@x,E,U,C\nb@x,E,U\n");
  auto r = scpipe({"load-crm", path});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path + ":3: expected 4 fields as in the header, found 3"), std::string::npos)
      << r.err;
  EXPECT_EQ(one("select count(*) from staging.crm_customer"), "0");
}

TEST_F(loaders, ndjson_with_a_line_cut_short_names_that_line_not_the_end_of_the_file) {
  std::string text = R"({"user_id": 1, "user_email": "a@x"})"
                     "\n"
                     R"({"user_id": 2, "user_em)"
                     "\n";
  for (int i = 3; i <= 100000; ++i)
    text += R"({"user_id": )" + std::to_string(i) + "}\n";
  auto path = write("users.ndjson", text);
  auto r = scpipe({"load-users", path});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path + ":2: record 2: the line ends inside a string"), std::string::npos)
      << r.err;
  EXPECT_EQ(one("select count(*) from staging.sc_user_document"), "0");
}

TEST_F(loaders, crm_export_missing_a_mapped_column_is_refused_and_changes_no_user) {
  auto users =
      write("users.json", R"([{"user_id": 1, "user_email": "a@x", "signup_ts": )"
                          R"("2019-04-02T10:15:00", "active": "TRUE", "on_trial": "FALSE"}])");
  auto first = write("crm.csv", "user_email,industry,region,company_name\na@x,Edu,USA,Acme\n");
  ASSERT_EQ(scpipe({"load-users", users}).code, 0);
  ASSERT_EQ(scpipe({"load-crm", first}).code, 0);
  ASSERT_EQ(scpipe({"etl"}).code, 0);
  auto partial = write("later.csv", "user_email,industry,region\na@x,Edu,USA\n");
  auto r = scpipe({"load-crm", partial});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(partial + ":1: the header has no company_name column"), std::string::npos)
      << r.err;
  EXPECT_EQ(one("select count(*) from staging.crm_customer"), "1");
  auto etl = scpipe({"etl"});
  ASSERT_EQ(etl.code, 0) << etl.err;
  EXPECT_EQ(one("select user_company from only sc.sc_user where user_id = 1"), "Acme");
  EXPECT_EQ(one("select count(*) from sc.sc_user_hist"), "0");
}

TEST_F(loaders, etl_command_prints_its_summary_and_counts_rejections) {
  auto users =
      write("users.json", "[{\"user_id\": 1, \"user_email\": \"a@x\"}, {\"user_id\": \"x\"}]");
  ASSERT_EQ(scpipe({"load-users", users}).code, 0);
  auto r = scpipe({"etl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("inserted 1, changed 0, unchanged 0, rejected 1 (run 1, ", 0), 0u) << r.out;
  // User 1 came without a signup time: accepted, and counted so an analyst sees it.
  EXPECT_NE(r.out.find("current users without an e-mail (no CRM attributes): 0, without a signup "
                       "time (no first week): 1"),
            std::string::npos)
      << r.out;
  auto again = scpipe({"etl", "--full"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out.rfind("inserted 0, changed 0, unchanged 1, rejected 1 (run 2, ", 0), 0u)
      << again.out;
}

TEST_F(loaders, etl_against_an_unmigrated_database_fails_clearly) {
  test::test_database empty;
  auto r = run({SCPIPE_BINARY, "etl"}, empty.env());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(test::command_messages(r.err).find(
                "scpipe etl: the database lacks scpipe's tables or functions: run scpipe migrate"),
            std::string::npos)
      << r.err;
  auto users = write("users.json", "[]");
  auto crm = write("crm.csv", "user_email,industry,region,company_name\n");
  for (std::vector<std::string> argv :
       {std::vector<std::string>{SCPIPE_BINARY, "load-users", users},
        {SCPIPE_BINARY, "load-crm", crm}}) {
    auto load = run(argv, empty.env());
    EXPECT_EQ(load.code, 1) << argv[1];
    EXPECT_NE(test::command_messages(load.err).find("run scpipe migrate"), std::string::npos)
        << load.err;
  }
}

TEST_F(loaders, etl_waiting_on_a_lock_says_who_holds_it_and_sigint_cancels_it_on_the_server) {
  auto holder = db.connect();
  pqxx::work lock{holder};
  lock.exec0("lock table sc.sc_user in access exclusive mode");
  test::process etl{{SCPIPE_BINARY, "etl"}, db.env()};
  ASSERT_TRUE(etl.wait_for_stderr(R"("component":"etl","message":"waiting for a lock held by)",
                                  std::chrono::seconds{10}))
      << etl.err();
  EXPECT_NE(test::command_messages(etl.err()).find("lock table sc.sc_user"), std::string::npos)
      << etl.err();
  etl.signal(SIGINT);
  EXPECT_EQ(etl.wait(std::chrono::seconds{10}), 130) << etl.err();
  EXPECT_NE(test::command_messages(etl.err()).find(
                "scpipe etl: interrupted by SIGINT; the statement running on the "
                "server was cancelled"),
            std::string::npos)
      << etl.err();
  // Nothing of the run goes on: no session of it is left (its backend ends a moment after the
  // client has gone), and the lock is free for the next.
  EXPECT_TRUE(test::eventually(
      [&] {
        return one("select count(*) from pg_stat_activity where application_name = 'scpipe etl' "
                   "and datname = current_database()")
               == "0";
      },
      std::chrono::seconds{5}));
  lock.abort();
  auto next = scpipe({"etl"});
  EXPECT_EQ(next.code, 0) << next.err;
}

// -- staged fields (sql/0011): the loader's reading of a document equals the ETL's -------------

namespace {

/// Documents covering what upstream sends, good and bad: plain ones the loader stages, and
/// doubtful ones it leaves to the ETL's SQL. One per line, in load order.
std::vector<std::string> staging_corpus() {
  std::string long_text(201, 'x');
  return {
      // 1-4: the usual shapes, every field and array
      R"({"user_id": "1", "user_email": "User1@Example.com", "signup_ts": "2019-03-10T12:30:00", "active": "TRUE", "on_trial": "FALSE", "checklist": [{"checklist_id": "11", "created_on": "2019-01-02T11:00:00", "checklist_name": "Fire exits"}, {"checklist_id": "12", "created_on": "2019-01-02T12:00:00", "checklist_name": "Ladders"}], "inspection": [{"created_ts": "2019-01-02T09:00:00", "inspection_id": "1", "inspection_ts": "1/2/2019 9:00:00"}]})",
      R"({"user_id": 2, "user_email": "Ünï@X.org", "active": true, "on_trial": 0, "signup_ts": "2019-04-02T10:15:00.123456+05:30"})",
      R"({"user_id": " 3\t", "active": "true", "on_trial": "0", "signup_ts": "2019-04-02 10:15:00Z"})",
      R"({"user_id": "-0", "signup_ts": "12/31/1999 23:59:59"})",
      // 5-11: timestamps at the contract's edges
      R"({"user_id": 5, "signup_ts": "2019-02-29T10:00:00"})",
      R"({"user_id": 6, "signup_ts": "2020-02-29T10:00:00-0330"})",
      R"({"user_id": 7, "signup_ts": "2020-02-29T10:00:00+16:00"})",
      R"({"user_id": 8, "signup_ts": "0001-01-01T00:00:00+05:00"})",
      R"({"user_id": 9, "signup_ts": "2019-04-02T10:15:00.1234567"})",
      R"({"user_id": 10, "signup_ts": "13/1/2019 10:00:00"})",
      R"({"user_id": 11, "signup_ts": "2/29/2000 24:00:00"})",
      R"({"user_id": 12, "signup_ts": "2019-04-02T10:15:00+05:3"})",
      R"({"user_id": 13, "signup_ts": "2019-4-2T10:15:00"})",
      R"({"user_id": 14, "signup_ts": 20190402})",
      // 15-22: values jsonb or the parsers treat specially
      R"({"user_id": 15, "user_email": "a\u0000b"})",
      R"({"user_id": 16, "note": 1e-400})",
      R"({"user_id": 17, "note": 1e400, "score": 2.5})",
      R"({"user_id": 18, "active": 1.0})",
      R"({"user_id": "１９"})",
      R"({"user_id": 2147483648})",
      R"({"user_id": -2147483648, "user_email": 42})",
      R"({"user_id": 5.0})",
      // 23-30: flags, e-mails, repeated keys
      R"({"user_id": 23, "active": "x", "active": true, "on_trial": "yes"})",
      R"({"user_id": 24, "active": null, "on_trial": false, "signup_ts": null, "user_email": ""})",
      R"({"user_id": 25, "user_email": ")" + long_text + R"("})",
      R"({"user_id": 26, "active": "FALSE", "on_trial": "True", "user_email": "user26@example.COM"})",
      // 27-35: arrays
      R"({"user_id": 27, "checklist": [{"checklist_id": 1, "checklist_name": "a", "created_on": "2019-01-01T00:00:00"}, {"checklist_id": "1", "checklist_name": "b"}, {"checklist_id": "2", "checklist_name": null, "created_on": null}]})",
      R"({"user_id": 28, "checklist": {"checklist_id": "x"}})",
      R"({"user_id": 29, "checklist": [1]})",
      R"({"user_id": 30, "inspection": [{"inspection_id": "i", "inspection_ts": "1/2/2019 9:00:00", "created_ts": "2019-01-02T09:00:00+10"}, {"inspection_id": 12345678901234567890}]})",
      R"({"user_id": 31, "checklist": [{"checklist_id": "q\"uo\\te,{x} y", "checklist_name": "NULL", "created_on": "2019-01-01T00:00:00.5"}]})",
      R"({"user_id": 32, "checklist": null, "inspection": []})",
      R"({"user_id": 33, "checklist": [{"checklist_id": "c", "checklist_name": ")" + long_text
          + R"("}]})",
      R"({"user_id": 34, "checklist": [{"checklist_id": true}], "inspection": [{"inspection_id": "j", "created_ts": "2019-02-30T00:00:00"}]})",
      R"({"user_id": 35, "inspection": [{"inspection_ts": "2019-01-01T00:00:00"}]})",
      // 36: a later document for user 1 wins
      R"({"user_id": "1", "user_email": "user1@example.com", "active": "FALSE", "on_trial": "TRUE", "signup_ts": "2019-03-10T02:30:00"})",
  };
}

/// Inserts documents into staging as plain SQL does, in one statement: none has staged fields.
void insert_documents_by_sql(const test::test_database& db, const std::vector<std::string>& docs) {
  auto conn = db.connect();
  pqxx::nontransaction tx{conn};
  std::string values;
  for (const auto& d : docs)
    values += (values.empty() ? "(" : ", (") + tx.quote(d) + ")";
  tx.exec("insert into staging.sc_user_document (user_document) values " + values);
}

/// Loads the same documents two ways and runs the ETL on each, in America/New_York (where
/// 2019-03-10 02:30 does not exist): into `staged` through load-users from `file`; into `plain`
/// already inserted by insert_documents_by_sql. Both get `crm` (none if empty). The ETL runs'
/// outputs, staged first, go to `etl_outputs` (call under ASSERT_NO_FATAL_FAILURE).
void load_staged_and_plain(const test::test_database& staged, const test::test_database& plain,
                           const std::string& file, const std::string& crm,
                           std::vector<std::string>& etl_outputs) {
  for (const auto* target : {&staged, &plain}) {
    auto env = target->env();
    env["SCPIPE_ETL_TIMEZONE"] = "America/New_York";
    if (target == &staged) {
      auto loaded = run({SCPIPE_BINARY, "load-users", file}, env);
      ASSERT_EQ(loaded.code, 0) << loaded.err;
    }
    if (!crm.empty()) {
      auto crm_loaded = run({SCPIPE_BINARY, "load-crm", crm}, env);
      ASSERT_EQ(crm_loaded.code, 0) << crm_loaded.err;
    }
    auto r = run({SCPIPE_BINARY, "etl"}, env);
    ASSERT_EQ(r.code, 0) << r.err;
    etl_outputs.push_back(r.out);
  }
}

/// Everything the ETL wrote that the contract and the ETL's rules describe, as text.
std::string etl_outcome(const test::test_database& db) {
  return db.scalar("select string_agg(concat_ws('|', user_id, user_email, on_trial, user_industry, "
                   "user_region, user_company, signup_ts, active), E'\\n' order by user_id) "
                   "from only sc.sc_user")
         + "\n--\n"
         + db.scalar(
             "select string_agg(concat_ws('|', user_id, checklist_id, checklist_name, "
             "created_on_ts), E'\\n' order by user_id, checklist_id) from sc.sc_user_checklist")
         + "\n--\n"
         + db.scalar(
             "select string_agg(concat_ws('|', user_id, inspection_id, inspection_ts, "
             "created_ts), E'\\n' order by user_id, inspection_id) from sc.sc_user_inspection")
         + "\n--\n"
         + db.scalar("select string_agg(load_seq || ': ' || reason, E'\\n' order by load_seq) "
                     "from scpipe.rejected_user_document");
}

} // namespace

TEST_F(loaders, staged_fields_give_the_etl_exactly_what_parsing_the_documents_in_sql_gives) {
  auto corpus = staging_corpus();
  std::string ndjson;
  for (const auto& d : corpus)
    ndjson += d + "\n";
  auto file = write("corpus.ndjson", ndjson);
  auto crm = write("crm.csv", "user_email,industry,region,company_name\n"
                              "USER1@example.com,Mining,EU,Acme\nuser26@example.com,Retail,,\n");
  // Here through load-users (staged), there as plain SQL inserts, one statement (not staged).
  test::test_database plain;
  plain.migrate();
  insert_documents_by_sql(plain, corpus);
  std::vector<std::string> etl_outputs;
  ASSERT_NO_FATAL_FAILURE(load_staged_and_plain(db, plain, file, crm, etl_outputs));
  // The loader staged the plain documents only, and nothing else was staged.
  EXPECT_EQ(one("select string_agg(load_seq::text, ',' order by load_seq) from "
                "staging.sc_user_document where staged_user_id is not null"),
            "1,2,3,4,6,8,24,26,27,30,31,32,36");
  EXPECT_EQ(plain.scalar("select count(*) from staging.sc_user_document "
                         "where staged_user_id is not null"),
            "0");
  auto staged = etl_outcome(db);
  EXPECT_EQ(staged, etl_outcome(plain));
  // And the outcome is the one the rules give (a few spot checks; the rest is equality above).
  EXPECT_NE(staged.find("1|user1@example.com|t|Mining|EU|Acme|2019-03-10 07:30:00+00|f"),
            std::string::npos)
      << staged;
  EXPECT_NE(staged.find("31|q\"uo\\te,{x} y|NULL|2019-01-01 05:00:00.5+00"), std::string::npos)
      << staged;
  EXPECT_NE(staged.find("27|1|b\n"), std::string::npos) << staged;

  // A later load where every document wins (one per user, none rejected: the ETL then reads
  // the staged arrays without joining the winners), replacing one user's arrays.
  std::vector<std::string> later{
      R"({"user_id": 27, "checklist": [{"checklist_id": "9", "checklist_name": "new", "created_on": "2019-05-01T08:00:00+02:00"}]})",
      R"({"user_id": 100, "checklist": [{"checklist_id": "a"}, {"checklist_id": "b", "created_on": "5/1/2019 8:00:00"}], "inspection": [{"inspection_id": "x", "inspection_ts": "2019-05-01T08:00:00"}]})",
      R"({"user_id": 101, "user_email": "USER26@example.com", "inspection": [{"inspection_id": 1, "created_ts": "2019-05-01 08:00:00.5Z"}]})",
      // one inspection kept as it was, one gone, one new
      R"({"user_id": 30, "inspection": [{"inspection_id": "k"}, {"inspection_id": "i", "inspection_ts": "1/2/2019 9:00:00", "created_ts": "2019-01-02T09:00:00+10"}]})"};
  std::string later_ndjson;
  for (const auto& d : later)
    later_ndjson += d + "\n";
  auto later_file = write("later.ndjson", later_ndjson);
  auto kept_row = "select ctid::text from sc.sc_user_inspection where user_id = 30 and "
                  "inspection_id = 'i'";
  auto kept_before = one(kept_row);
  insert_documents_by_sql(plain, later);
  std::vector<std::string> later_outputs;
  ASSERT_NO_FATAL_FAILURE(load_staged_and_plain(db, plain, later_file, "", later_outputs));
  EXPECT_EQ(one("select count(*) from staging.sc_user_document where staged_user_id is not null"),
            "17");
  staged = etl_outcome(db);
  EXPECT_EQ(staged, etl_outcome(plain));
  EXPECT_NE(staged.find("27|9|new|2019-05-01 06:00:00+00\n31|"), std::string::npos) << staged;
  EXPECT_NE(staged.find("100|a\n100|b|2019-05-01 12:00:00+00\n"), std::string::npos) << staged;
  EXPECT_NE(staged.find("\n30|i|2019-01-02 14:00:00+00|2019-01-01 23:00:00+00\n30|k\n"),
            std::string::npos)
      << staged;
  EXPECT_EQ(staged.find("12345678901234567890"), std::string::npos) << staged;
  EXPECT_EQ(one(kept_row), kept_before) << "an entry that did not change is not written again";
}

// -- a first load (sql/0013): an empty dimension filled straight from the staged fields --------

namespace {

/// The indexes and key constraints of the dimension's three tables, as definitions.
std::string dimension_indexes(const test::test_database& db) {
  return db.scalar("select string_agg(indexdef, E'\\n' order by indexname) from pg_indexes "
                   "where schemaname = 'sc' and tablename in ('sc_user', 'sc_user_checklist', "
                   "'sc_user_inspection')")
         + "\n--\n"
         + db.scalar("select string_agg(conname || ' ' || pg_get_constraintdef(oid), E'\\n' "
                     "order by conname) from pg_constraint where conrelid in "
                     "('sc.sc_user'::regclass, 'sc.sc_user_checklist'::regclass, "
                     "'sc.sc_user_inspection'::regclass)");
}

/// The oid of an index of schema sc: a first load builds the dimension's indexes anew.
std::string index_oid(const test::test_database& db, const std::string& name) {
  return db.scalar("select ('sc." + name + "'::regclass)::oid");
}

} // namespace

TEST_F(loaders, a_first_load_of_staged_documents_gives_what_the_general_path_gives) {
  // The documents the loader stages (see the test above), user 1 twice: not every one wins.
  auto corpus = staging_corpus();
  std::string ndjson;
  std::vector<std::string> staged_docs;
  for (size_t i : {0, 1, 2, 3, 5, 7, 23, 25, 26, 29, 30, 31, 35}) {
    ndjson += corpus[i] + "\n";
    staged_docs.push_back(corpus[i]);
  }
  auto file = write("staged.ndjson", ndjson);
  // CRM: the last row of an e-mail wins (case-insensitive), an empty value is 'unknown'.
  auto crm = write("crm.csv", "user_email,industry,region,company_name\n"
                              "user1@example.com,Retail,APAC,Old\n"
                              "USER1@example.com,Mining,EU,Acme\n"
                              "user26@example.com,,US,Globex\n");
  test::test_database plain;
  plain.migrate();
  insert_documents_by_sql(plain, staged_docs);
  auto staged_pkey = index_oid(db, "sc_user_pkey");
  auto plain_pkey = index_oid(plain, "sc_user_pkey");
  std::vector<std::string> etl_outputs;
  ASSERT_NO_FATAL_FAILURE(load_staged_and_plain(db, plain, file, crm, etl_outputs));
  for (const auto& out : etl_outputs)
    EXPECT_NE(out.find("inserted 12, changed 0, unchanged 0, rejected 0"), std::string::npos)
        << out;
  EXPECT_EQ(one("select count(*) from staging.sc_user_document where staged_user_id is null"), "0");
  // Here the first-load path ran (the indexes were built anew), there the general one.
  EXPECT_NE(index_oid(db, "sc_user_pkey"), staged_pkey);
  EXPECT_EQ(index_oid(plain, "sc_user_pkey"), plain_pkey);
  auto outcome = etl_outcome(db);
  EXPECT_EQ(outcome, etl_outcome(plain));
  EXPECT_NE(outcome.find("1|user1@example.com|t|Mining|EU|Acme|2019-03-10 07:30:00+00|f"),
            std::string::npos)
      << outcome;
  EXPECT_NE(outcome.find("2|Ünï@X.org|f|unknown|unknown|unknown|"), std::string::npos) << outcome;
  EXPECT_NE(outcome.find("26|user26@example.COM|t|unknown|US|Globex|f\n"), std::string::npos)
      << outcome;
  EXPECT_EQ(dimension_indexes(db), dimension_indexes(plain));

  // The next run is incremental, through the general path, on the indexes built.
  auto later = write("later.ndjson", staging_corpus()[35] + "\n" + corpus[1] + "\n");
  ASSERT_EQ(scpipe({"load-users", later}).code, 0);
  auto crm_later = write("crm2.csv", "user_email,industry,region,company_name\n"
                                     "user1@example.com,Energy,EU,Acme\n");
  ASSERT_EQ(scpipe({"load-crm", crm_later}).code, 0);
  auto pkey = index_oid(db, "sc_user_pkey");
  auto r = scpipe({"etl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("inserted 0, changed 1, unchanged 1, rejected 0"), std::string::npos)
      << r.out;
  EXPECT_EQ(index_oid(db, "sc_user_pkey"), pkey);
  EXPECT_EQ(one("select user_industry from only sc.sc_user where user_id = 1"), "Energy");
}

TEST_F(loaders, a_first_load_keeps_an_index_something_depends_on) {
  // An analyst's view that groups by the primary key depends on it: it cannot be dropped.
  {
    auto conn = db.connect();
    pqxx::nontransaction tx{conn};
    tx.exec("create view sc.user_emails as select u.user_id, u.user_email, count(c.checklist_id) "
            "as checklists from sc.sc_user u left join sc.sc_user_checklist c using (user_id) "
            "group by u.user_id");
  }
  auto pkey = index_oid(db, "sc_user_pkey");
  auto email = index_oid(db, "sc_user_lower_email");
  auto indexes = dimension_indexes(db);
  // A run without documents (the scheduler's ticks on an empty dimension) is no first load.
  ASSERT_EQ(scpipe({"etl"}).code, 0);
  EXPECT_EQ(index_oid(db, "sc_user_lower_email"), email);
  // One document per user, loaded in one piece: every document wins.
  auto file = write(
      "users.ndjson",
      R"({"user_id": 1, "user_email": "a@x.org", "checklist": [{"checklist_id": "c1"}, {"checklist_id": "c2"}]})"
      "\n"
      R"({"user_id": 2, "user_email": "b@x.org", "inspection": [{"inspection_id": "i1", "inspection_ts": "2019-01-01T00:00:00Z"}]})"
      "\n"
      R"({"user_id": 3})"
      "\n");
  ASSERT_EQ(scpipe({"load-users", file}).code, 0);
  auto r = scpipe({"etl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("inserted 3,"), std::string::npos) << r.out;
  EXPECT_EQ(index_oid(db, "sc_user_pkey"), pkey) << "kept: the view depends on it";
  EXPECT_NE(index_oid(db, "sc_user_lower_email"), email) << "built after the load";
  EXPECT_EQ(dimension_indexes(db), indexes);
  EXPECT_EQ(one("select string_agg(user_id || ':' || checklists, ',' order by user_id) from "
                "sc.user_emails"),
            "1:2,2:0,3:0");
  EXPECT_EQ(one("select string_agg(user_id || ':' || inspection_id || ':' || inspection_ts, ',') "
                "from sc.sc_user_inspection"),
            "2:i1:2019-01-01 00:00:00+00");
}

TEST_F(loaders, a_first_load_takes_the_first_week_lock_before_the_dimensions_locks) {
  // A count of first-week logins (scpipe.count_first_week_logins) holds its lock and then
  // reads sc.sc_user. A first load that locked the dimension before waiting for that lock
  // would deadlock with it; it waits for the count first, and the count reads on.
  auto file = write("users.ndjson", R"({"user_id": 1, "user_email": "a@x.org"})"
                                    "\n");
  ASSERT_EQ(scpipe({"load-users", file}).code, 0);
  auto counter = db.connect();
  pqxx::work count{counter};
  count.exec("select pg_advisory_xact_lock(1990722301361777040)");
  test::process etl{{SCPIPE_BINARY, "etl"}, db.env()};
  ASSERT_TRUE(test::eventually(
      [&] {
        return one("select count(*) from pg_locks l join pg_stat_activity a using (pid) "
                   "where a.application_name = 'scpipe etl' and a.datname = current_database() "
                   "and l.locktype = 'advisory' and not l.granted")
               == "1";
      },
      std::chrono::seconds{10}))
      << etl.err();
  count.exec0("set local lock_timeout = '5s'");
  EXPECT_EQ(count.exec1("select count(*) from only sc.sc_user")[0].as<int>(), 0);
  count.commit();
  EXPECT_EQ(etl.wait(std::chrono::seconds{30}), 0) << etl.err();
  EXPECT_EQ(one("select count(*) from only sc.sc_user"), "1");
}
