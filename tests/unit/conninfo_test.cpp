#include "core/conninfo.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

TEST(conninfo, uri_password_is_masked) {
  EXPECT_EQ(redact_conninfo("postgresql://u:s3cret@host:5432/db?sslmode=require"),
            "postgresql://u:****@host:5432/db?sslmode=require");
  EXPECT_EQ(redact_conninfo("postgres://u:p%40ss@host/db"), "postgres://u:****@host/db");
}

TEST(conninfo, uri_password_with_raw_special_characters_is_masked_whole) {
  // libpq reads "pa?ss" as the password here; a raw '@' or '/' is hidden too.
  EXPECT_EQ(redact_conninfo("postgresql://u:pa?ss@host/db"), "postgresql://u:****@host/db");
  EXPECT_EQ(redact_conninfo("postgresql://u:p/a@ss@host/db"), "postgresql://u:****@host/db");
  EXPECT_EQ(conninfo_passwords("postgresql://u:pa?ss@host/db"),
            (std::vector<std::string>{"pa?ss"}));
}

TEST(conninfo, uri_password_parameter_is_masked) {
  EXPECT_EQ(redact_conninfo("postgresql://host/db?user=u&password=s3cret&sslmode=disable"),
            "postgresql://host/db?user=u&password=****&sslmode=disable");
}

TEST(conninfo, uri_without_password_is_unchanged) {
  EXPECT_EQ(redact_conninfo("postgresql://u@host/db"), "postgresql://u@host/db");
  EXPECT_EQ(redact_conninfo("postgresql://host:5432/db"), "postgresql://host:5432/db");
}

TEST(conninfo, keyword_password_is_masked_plain_and_quoted) {
  EXPECT_EQ(redact_conninfo("host=db password=s3cret dbname=w"), "host=db password=**** dbname=w");
  EXPECT_EQ(redact_conninfo("host=db password = 'with space' dbname=w"),
            "host=db password = **** dbname=w");
  EXPECT_EQ(redact_conninfo("password='a b\\'c' host=db"), "password=**** host=db");
}

TEST(conninfo, passwords_are_listed_as_written_and_decoded) {
  auto uri = conninfo_passwords("postgresql://u:p%40ss@host/db");
  ASSERT_EQ(uri.size(), 2u);
  EXPECT_EQ(uri[0], "p%40ss");
  EXPECT_EQ(uri[1], "p@ss");
  auto kw = conninfo_passwords("password='a b\\'c' host=db");
  ASSERT_EQ(kw.size(), 2u);
  EXPECT_EQ(kw[1], "a b'c");
  EXPECT_TRUE(conninfo_passwords("dbname=x").empty());
  EXPECT_TRUE(conninfo_passwords("").empty());
}

TEST(conninfo, parameter_is_added_once) {
  EXPECT_EQ(with_parameter("", "connect_timeout", "5"), "connect_timeout='5'");
  EXPECT_EQ(with_parameter("dbname=x", "connect_timeout", "5"), "dbname=x connect_timeout='5'");
  EXPECT_EQ(with_parameter("dbname=x", "application_name", "scpipe it's"),
            "dbname=x application_name='scpipe it\\'s'");
  EXPECT_EQ(with_parameter("postgresql://h/db", "application_name", "scpipe migrate"),
            "postgresql://h/db?application_name=scpipe%20migrate");
  EXPECT_EQ(with_parameter("dbname=x connect_timeout=9", "connect_timeout", "5"),
            "dbname=x connect_timeout=9");
  EXPECT_EQ(with_parameter("postgresql://h/db", "connect_timeout", "5"),
            "postgresql://h/db?connect_timeout=5");
  EXPECT_EQ(with_parameter("postgresql://h/db?sslmode=disable", "connect_timeout", "5"),
            "postgresql://h/db?sslmode=disable&connect_timeout=5");
  EXPECT_EQ(with_parameter("postgresql://h/db?connect_timeout=2", "connect_timeout", "5"),
            "postgresql://h/db?connect_timeout=2");
}
