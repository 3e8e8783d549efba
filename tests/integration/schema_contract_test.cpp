// The five tables of docs/schema.md are a public contract: analysts' queries depend
// on their names, column order, types and defaults. This test reads the catalog of a database
// migrated by the production migrator and compares it with the contract, column by column.

#include "support/database.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <map>
#include <tuple>

using namespace scpipe;
using test::test_database;

namespace {

/// name, data type, character maximum length (0: none), default ("": none)
using column = std::tuple<std::string, std::string, int, std::string>;

const std::string now = "now()";
const std::string tz = "timestamp with time zone";
const std::string vc = "character varying";

const std::map<std::string, std::vector<column>> contract = {
    {"staging.sc_user_document", {{"user_document", "json", 0, ""}, {"created_on_ts", tz, 0, now}}},
    {"staging.crm_customer",
     {{"customer_email", vc, 200, ""},
      {"industry", vc, 200, ""},
      {"region", vc, 200, ""},
      {"company_name", vc, 200, ""},
      {"created_on_ts", tz, 0, now}}},
    {"sc.sc_user",
     {{"user_id", "integer", 0, ""},
      {"user_email", vc, 200, ""},
      {"on_trial", "boolean", 0, ""},
      {"user_industry", vc, 200, ""},
      {"user_region", vc, 200, ""},
      {"user_company", vc, 200, ""},
      {"signup_ts", tz, 0, ""},
      {"active", "boolean", 0, ""},
      {"effective_from_ts", tz, 0, "'1970-01-01 00:00:00+00'::timestamp with time zone"},
      {"effective_to_ts", tz, 0, "'2199-12-31 00:00:00+00'::timestamp with time zone"},
      {"created_on_ts", tz, 0, now}}},
    {"sc.sc_user_event",
     {{"user_event_id", "bigint", 0, "nextval('sc.sc_user_event_user_event_id_seq'::regclass)"},
      {"user_id", "integer", 0, ""},
      {"platform", vc, 200, ""},
      {"event_ts", tz, 0, ""},
      {"event_type", vc, 50, ""},
      {"first_event", "boolean", 0, ""},
      {"created_on_ts", tz, 0, now}}},
};

class schema_contract : public ::testing::Test {
protected:
  void SetUp() override {
    db.migrate();
  }

  /// Runs a query with the session in UTC, so timestamptz defaults render zone-independently.
  pqxx::result query(const std::string& sql) {
    pqxx::nontransaction tx{conn};
    tx.exec("set timezone = 'UTC'");
    return tx.exec(sql);
  }

  std::vector<column> columns_of(const std::string& qualified) {
    auto dot = qualified.find('.');
    auto rows = query("select column_name, data_type, coalesce(character_maximum_length, 0), "
                      "coalesce(column_default, '') from information_schema.columns "
                      "where table_schema = '"
                      + qualified.substr(0, dot) + "' and table_name = '"
                      + qualified.substr(dot + 1) + "' order by ordinal_position");
    std::vector<column> out;
    for (const auto& r : rows)
      out.emplace_back(r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int>(),
                       r[3].as<std::string>());
    return out;
  }

  std::vector<std::string> primary_key_of(const std::string& qualified) {
    auto rows = query("select a.attname from pg_index i "
                      "join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
                      "where i.indisprimary and i.indrelid = '"
                      + qualified
                      + "'::regclass "
                        "order by array_position(i.indkey::int2[], a.attnum)");
    std::vector<std::string> out;
    for (const auto& r : rows)
      out.push_back(r[0].as<std::string>());
    return out;
  }

  test_database db;
  pqxx::connection conn = db.connect();
};

} // namespace

TEST_F(schema_contract, every_contract_table_starts_with_exactly_its_columns_in_order) {
  // Migrations may add columns (after the contract's), never rename, drop, move or retype one.
  for (const auto& [table, expected] : contract) {
    auto actual = columns_of(table);
    ASSERT_GE(actual.size(), expected.size()) << table << " lost columns";
    actual.resize(expected.size());
    EXPECT_EQ(actual, expected) << table << " differs from docs/schema.md";
  }
}

TEST_F(schema_contract, user_history_inherits_every_user_column) {
  auto hist = columns_of("sc.sc_user_hist");
  hist.resize(contract.at("sc.sc_user").size());
  EXPECT_EQ(hist, contract.at("sc.sc_user"));
  auto parents = query("select inhparent::regclass::text from pg_inherits "
                       "where inhrelid = 'sc.sc_user_hist'::regclass");
  ASSERT_EQ(parents.size(), 1u);
  EXPECT_EQ(parents[0][0].as<std::string>(), "sc.sc_user");
}

TEST_F(schema_contract, primary_keys_are_the_contract_ones) {
  EXPECT_EQ(primary_key_of("sc.sc_user"), (std::vector<std::string>{"user_id"}));
  EXPECT_EQ(primary_key_of("sc.sc_user_hist"),
            (std::vector<std::string>{"user_id", "effective_from_ts"}));
  // Partitioned by event_ts (sql/0009): a partitioned table's key must hold the partition key.
  EXPECT_EQ(primary_key_of("sc.sc_user_event"),
            (std::vector<std::string>{"user_event_id", "event_ts"}));
}

TEST_F(schema_contract, events_are_range_partitioned_by_event_ts_with_a_default_partition) {
  auto rows = query("select pg_get_partkeydef('sc.sc_user_event'::regclass), "
                    "(select count(*) from pg_partitioned_table p join pg_class c "
                    " on c.oid = p.partdefid where p.partrelid = 'sc.sc_user_event'::regclass), "
                    "(select attnotnull from pg_attribute where attrelid = "
                    " 'sc.sc_user_event'::regclass and attname = 'event_ts')");
  EXPECT_EQ(rows[0][0].as<std::string>(), "RANGE (event_ts)");
  EXPECT_EQ(rows[0][1].as<int>(), 1) << "a default partition takes any other time";
  EXPECT_TRUE(rows[0][2].as<bool>()) << "event_ts is part of the key, so NOT NULL";
}

TEST_F(schema_contract, event_id_is_a_bigserial_owned_by_its_column) {
  auto rows = query("select pg_get_serial_sequence('sc.sc_user_event', 'user_event_id')");
  EXPECT_EQ(rows[0][0].as<std::string>(), "sc.sc_user_event_user_event_id_seq");
}

TEST_F(schema_contract, defaults_are_the_contract_instants_in_any_session_time_zone) {
  pqxx::nontransaction tx{conn};
  tx.exec("set timezone = 'Pacific/Auckland'");
  tx.exec("insert into sc.sc_user (user_id) values (1)");
  auto r = tx.exec1("select effective_from_ts = '1970-01-01 00:00:00+00', "
                    "effective_to_ts = '2199-12-31 00:00:00+00', created_on_ts is not null "
                    "from sc.sc_user where user_id = 1");
  EXPECT_TRUE(r[0].as<bool>());
  EXPECT_TRUE(r[1].as<bool>());
  EXPECT_TRUE(r[2].as<bool>());
}

// -- the analysts' first question ---------------------------------------------------------

TEST_F(schema_contract,
       first_week_logins_counts_logins_within_seven_days_of_signup_per_current_user) {
  pqxx::nontransaction tx{conn};
  tx.exec(R"(
    set timezone = 'UTC';
    insert into sc.sc_user (user_id, user_email, signup_ts, active) values
      (1, 'a@x', '2019-05-01 10:00:00+00', true),
      (2, 'b@x', '2019-05-10 00:00:00+00', false),
      (3, 'c@x', '2019-05-01 00:00:00+00', true),
      (4, 'd@x', null, false);
    -- an earlier version of user 2: it must not count its logins a second time
    insert into sc.sc_user_hist (user_id, user_email, signup_ts, active, effective_from_ts, effective_to_ts)
      values (2, 'b@old', '2019-05-10 00:00:00+00', true, '1970-01-01', '2019-05-15');
    insert into sc.sc_user_event (user_id, event_type, event_ts) values
      (1, 'login', '2019-05-01 10:00:00+00'),   -- at signup: counts
      (1, 'login', '2019-05-03 12:00:00+00'),   -- counts
      (1, 'login', '2019-05-08 10:00:00+00'),   -- exactly 7 days later: counts
      (1, 'login', '2019-05-08 10:00:01+00'),   -- a second too late
      (1, 'login', '2019-04-30 09:00:00+00'),   -- before signup
      (1, 'purchase', '2019-05-02 00:00:00+00'),-- not a login
      (2, 'login', '2019-05-11 00:00:00+00'),
      (2, 'login', '2019-05-12 00:00:00+00'),
      (2, 'logout', '2019-05-12 00:00:00+00'),
      (4, 'login', '2019-05-12 00:00:00+00'),   -- no signup_ts: no first week
      (99, 'login', '2019-05-12 00:00:00+00');  -- no such user
  )");
  std::map<int, std::pair<std::optional<bool>, long>> got;
  for (const auto& r :
       tx.exec("select user_id, active, first_week_logins from sc.first_week_logins"))
    got[r[0].as<int>()] = {r[1].is_null() ? std::nullopt : std::optional<bool>{r[1].as<bool>()},
                           r[2].as<long>()};
  std::map<int, std::pair<std::optional<bool>, long>> expected{
      {1, {true, 3}}, {2, {false, 2}}, {3, {true, 0}}, {4, {false, 0}}};
  EXPECT_EQ(got, expected);
}
