#include "core/event_time.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

/// The timestamp PostgreSQL is given for `text`, or "error: <reason>".
std::string pg(std::string_view text) {
  auto parsed = parse_event_time(text);
  if (auto* reason = std::get_if<std::string>(&parsed))
    return "error: " + *reason;
  std::string out;
  append_timestamp(out, std::get<event_time>(parsed));
  return out;
}

} // namespace

TEST(event_time, iso_forms_of_the_contract_are_accepted) {
  EXPECT_EQ(pg("2019-05-13T03:11:04"), "2019-05-13 03:11:04");
  EXPECT_EQ(pg("2019-05-13T03:11:04Z"), "2019-05-13 03:11:04+00:00");
  EXPECT_EQ(pg("2019-05-13T03:11:04.5+10:00"), "2019-05-13 03:11:04.5+10:00");
  EXPECT_EQ(pg("2019-05-13T03:11:04.123456789-03:30"), "2019-05-13 03:11:04.123456789-03:30");
  EXPECT_EQ(pg("2020-02-29T23:59:59"), "2020-02-29 23:59:59");
}

TEST(event_time, csv_export_form_is_accepted) {
  EXPECT_EQ(pg("5/13/2019 3:11:04"), "2019-05-13 03:11:04");
  EXPECT_EQ(pg("12/31/2019 23:59:59"), "2019-12-31 23:59:59");
  EXPECT_EQ(pg("01/02/2019 00:00:00"), "2019-01-02 00:00:00");
}

TEST(event_time, times_that_do_not_exist_are_refused_with_the_reason) {
  EXPECT_EQ(pg("2019-02-29T00:00:00"), "error: day 29 does not exist in 2019-02");
  EXPECT_EQ(pg("1900-02-29T00:00:00"), "error: day 29 does not exist in 1900-02");
  EXPECT_EQ(pg("2019-13-01T00:00:00"), "error: month 13 does not exist");
  EXPECT_EQ(pg("2019-00-01T00:00:00"), "error: month 0 does not exist");
  EXPECT_EQ(pg("2019-01-01T24:00:00"), "error: hour 24 does not exist");
  EXPECT_EQ(pg("2019-01-01T00:60:00"), "error: minute 60 does not exist");
  EXPECT_EQ(pg("2019-01-01T00:00:60"), "error: second 60 does not exist");
  EXPECT_EQ(pg("0000-01-01T00:00:00"), "error: year 0000 does not exist");
  EXPECT_EQ(pg("4/31/2019 1:00:00"), "error: day 31 does not exist in 2019-04");
  EXPECT_EQ(pg("2019-01-01T00:00:00+16:00"), "error: zone offset +16:00 is out of range");
}

TEST(event_time, other_forms_are_refused) {
  for (auto text :
       {"", "2019-05-13", "2019-05-13 03:11:04", "2019-05-13T03:11", "2019-5-13T03:11:04",
        "2019-05-13T03:11:04+0200", "2019-05-13T03:11:04+02", "2019-05-13T03:11:04ZZ",
        "2019-05-13T03:11:04.", "2019-05-13T03:11:04.1234567890", "5/13/19 3:11:04",
        "5/13/2019 3:11", "5/13/2019T3:11:04", "13/5/2019 3:1:04", "yesterday",
        "２０１９-05-13T03:11:04", "2019-05-13T03:11:04 "})
    EXPECT_EQ(pg(text).rfind("error: ", 0), 0u) << text << " → " << pg(text);
}
