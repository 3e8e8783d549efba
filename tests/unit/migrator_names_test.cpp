#include "db/migrator.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

TEST(migrator_names, version_is_read_from_well_formed_names_only) {
  EXPECT_EQ(db::migration_version("0001_create_schema.sql"), 1);
  EXPECT_EQ(db::migration_version("0042_x.sql"), 42);
  EXPECT_FALSE(db::migration_version("1_x.sql"));
  EXPECT_FALSE(db::migration_version("0001-x.sql"));
  EXPECT_FALSE(db::migration_version("0001_x.txt"));
  EXPECT_FALSE(db::migration_version("abcd_x.sql"));
}

TEST(migrator_names, embedded_migrations_are_well_formed_and_strictly_ordered) {
  const auto& all = db::embedded_migrations();
  ASSERT_FALSE(all.empty());
  int previous = 0;
  for (const auto& m : all) {
    auto version = db::migration_version(m.name);
    ASSERT_TRUE(version) << m.name;
    EXPECT_GT(*version, previous) << m.name;
    EXPECT_FALSE(m.sql.empty()) << m.name;
    previous = *version;
  }
  EXPECT_EQ(all.front().name, "0001_create_schema.sql");
}
