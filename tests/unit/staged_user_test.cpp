// The loader's reading of user documents (core/staged_user): what it stages and what it leaves
// to the ETL's SQL. tests/integration/loaders_test.cpp checks that both give the same outcome.

#include "core/staged_user.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

using namespace scpipe;

namespace {

std::optional<staged_user> stage(const std::string& json) {
  return stage_user_document(boost::json::parse(json));
}

} // namespace

TEST(staged_user, timestamps_are_normalized_with_their_zone_when_they_have_one) {
  EXPECT_EQ(normalize_upstream_ts("2019-04-02T10:15:00"), "2019-04-02 10:15:00");
  EXPECT_EQ(normalize_upstream_ts("2019-04-02 10:15:00.25Z"), "2019-04-02 10:15:00.25+00:00");
  EXPECT_EQ(normalize_upstream_ts("2019-04-02T10:15:00-0330"), "2019-04-02 10:15:00-03:30");
  EXPECT_EQ(normalize_upstream_ts("2019-04-02T10:15:00+10"), "2019-04-02 10:15:00+10:00");
  EXPECT_EQ(normalize_upstream_ts("4/2/2019 9:05:00"), "2019-04-02 09:05:00");
  EXPECT_EQ(normalize_upstream_ts("2/29/2000 23:59:59"), "2000-02-29 23:59:59");
}

TEST(staged_user, timestamps_the_contract_parser_refuses_are_refused) {
  for (const char* bad : {"",
                          "2019-02-29T10:00:00",
                          "1900-02-29T00:00:00",
                          "0000-01-01T00:00:00",
                          "2019-13-01T00:00:00",
                          "2019-04-02T24:00:00",
                          "2019-04-02T10:60:00",
                          "2019-04-02T10:15:60",
                          "2019-04-02T10:15:00.",
                          "2019-04-02T10:15:00.1234567",
                          "2019-04-02T10:15:00+16:00",
                          "2019-04-02T10:15:00+05:60",
                          "2019-04-02T10:15:00+05:3",
                          "2019-04-02T10:15:00Z ",
                          " 2019-04-02T10:15:00",
                          "2019-4-02T10:15:00",
                          "2019-04-02x10:15:00",
                          "13/1/2019 10:00:00",
                          "0/1/2019 10:00:00",
                          "2/30/2019 10:00:00",
                          "1/1/2019 24:00:00",
                          "1/1/2019 1:0:00",
                          "1/1/0000 10:00:00",
                          "1/1/19 10:00:00",
                          "1/1/2019 10:00:00Z",
                          "１/1/2019 10:00:00"})
    EXPECT_EQ(normalize_upstream_ts(bad), std::nullopt) << bad;
}

TEST(staged_user, a_plain_document_is_read_as_the_etl_reads_it) {
  auto u = stage(R"({"user_id": " 42 ", "user_email": "Ünï@x", "active": "TRUE",
                     "on_trial": 0, "signup_ts": "4/2/2019 9:00:00",
                     "checklist": [{"checklist_id": 1, "checklist_name": "a"},
                                   {"checklist_id": "2", "created_on": "2019-01-01T00:00:00Z"},
                                   {"checklist_id": "1", "checklist_name": "b"}],
                     "inspection": [{"inspection_id": "i", "inspection_ts": null}]})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user_id, 42);
  EXPECT_EQ(u->user_email, "Ünï@x");
  EXPECT_EQ(u->active, true);
  EXPECT_EQ(u->on_trial, false);
  EXPECT_EQ(u->signup_ts, "2019-04-02 09:00:00");
  ASSERT_EQ(u->checklists.size(), 2u); // the repeated id keeps its last entry
  EXPECT_EQ(u->checklists[0].id, "1");
  EXPECT_EQ(u->checklists[0].name, "b");
  EXPECT_EQ(u->checklists[1].ts, "2019-01-01 00:00:00+00:00");
  ASSERT_EQ(u->inspections.size(), 1u);
  EXPECT_EQ(u->inspections[0].ts, std::nullopt);
}

TEST(staged_user, missing_and_null_fields_are_null) {
  auto u = stage(R"({"user_id": -2147483648, "active": null, "checklist": null})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->user_id, INT32_MIN);
  EXPECT_EQ(u->user_email, std::nullopt);
  EXPECT_EQ(u->active, std::nullopt);
  EXPECT_EQ(u->on_trial, std::nullopt);
  EXPECT_TRUE(u->checklists.empty());
}

TEST(staged_user, doubtful_documents_are_left_to_the_etl) {
  for (const char* doubtful : {
           R"({"user_email": "a@x"})",            // no user_id
           R"({"user_id": null})",                // null user_id
           R"({"user_id": 2147483648})",          // beyond int4
           R"({"user_id": "12345678901"})",       // too many digits
           R"({"user_id": "１２"})",              // not ASCII digits
           R"({"user_id": 5.0})",                 // jsonb prints 5.0
           R"({"user_id": true})",                //
           R"({"user_id": 1, "user_email": 42})", // the SQL reads its text
           R"({"user_id": 1, "active": "yes"})",  //
           R"({"user_id": 1, "active": 1.0})",    //
           R"({"user_id": 1, "on_trial": 2})",    //
           R"({"user_id": 1, "signup_ts": "2019-02-29T00:00:00"})",
           R"({"user_id": 1, "signup_ts": 20190402})", //
           R"({"user_id": 1, "note": "a\u0000b"})",    // jsonb cannot store it
           R"({"user_id": 1, "a\u0000": 1})",          // nor in a key
           R"({"user_id": 1, "note": 1e-400})",        // jsonb refuses, Boost reads 0
           R"({"user_id": 1, "note": 1e400})",         // Boost reads infinity
           R"({"user_id": 1, "checklist": {}})",       // not an array
           R"({"user_id": 1, "checklist": [1]})",      // not an object
           R"({"user_id": 1, "checklist": [{"checklist_name": "a"}]})", // no id
           R"({"user_id": 1, "checklist": [{"checklist_id": true}]})",
           R"({"user_id": 1, "inspection": [{"inspection_id": "i", "created_ts": "x"}]})",
       })
    EXPECT_EQ(stage(doubtful).has_value(), false) << doubtful;
  EXPECT_EQ(stage("[1]").has_value(), false);
  EXPECT_EQ(
      stage(R"({"user_id": 1, "user_email": ")" + std::string(201, 'e') + R"("})").has_value(),
      false);
  EXPECT_EQ(
      stage(R"({"user_id": 1, "user_email": ")" + std::string(200, 'e') + R"("})").has_value(),
      true);
  EXPECT_EQ(stage(R"({"user_id": 1, "note": 2.5})").has_value(), true);
}

TEST(staged_user, a_repeated_id_keeps_its_last_entry_in_long_arrays_too) {
  std::string items;
  for (int i = 0; i < 20; ++i)
    items += R"({"checklist_id": ")" + std::to_string(i) + R"(", "checklist_name": "first"},)";
  items +=
      R"({"checklist_id": "3", "checklist_name": "last"}, {"checklist_id": "19", "checklist_name": "last"})";
  auto u = stage(R"({"user_id": 1, "checklist": [)" + items + "]}");
  ASSERT_TRUE(u);
  ASSERT_EQ(u->checklists.size(), 20u);
  EXPECT_EQ(u->checklists[3].name, "last");
  EXPECT_EQ(u->checklists[19].name, "last");
  EXPECT_EQ(u->checklists[4].name, "first");
}
