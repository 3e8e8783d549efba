#include "core/sqlstate.hpp"
#include "db/connection.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

TEST(sqlstate, classes_decide_the_writers_action) {
  EXPECT_EQ(classify_sqlstate("22001"), failure_action::isolate_rows); // string too long
  EXPECT_EQ(classify_sqlstate("23514"), failure_action::isolate_rows); // check violation
  EXPECT_EQ(classify_sqlstate("08006"), failure_action::reconnect);
  EXPECT_EQ(classify_sqlstate("57P01"), failure_action::reconnect); // admin shutdown
  EXPECT_EQ(classify_sqlstate(""), failure_action::reconnect);
  EXPECT_EQ(classify_sqlstate("40001"), failure_action::retry); // serialization failure
  EXPECT_EQ(classify_sqlstate("40P01"), failure_action::retry); // deadlock
  EXPECT_EQ(classify_sqlstate("57014"), failure_action::retry); // statement timeout
  EXPECT_EQ(classify_sqlstate("53100"), failure_action::retry); // disk full
  EXPECT_EQ(classify_sqlstate("42P01"), failure_action::retry); // undefined table
}

TEST(sqlstate, codes_libpqxx_drops_are_restored_from_the_exception_type) {
  // libpqxx 6.4 throws insufficient_privilege without its SQLSTATE; "" would mean "reconnect".
  pqxx::insufficient_privilege denied{"permission denied for table sc_user_event", "q"};
  ASSERT_EQ(denied.sqlstate(), "");
  EXPECT_EQ(db::sqlstate_of(denied), "42501");
  EXPECT_EQ(classify_sqlstate(db::sqlstate_of(denied)), failure_action::retry);
  EXPECT_EQ(db::sqlstate_of(pqxx::disk_full{"x", "q", "53100"}), "53100");
}
