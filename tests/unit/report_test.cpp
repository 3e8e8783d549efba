#include "core/report.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos; i = text.find(what, i + 1))
    ++n;
  return n;
}

const std::vector<login_bin> bins = {{true, 0, 1},  {true, 3, 4},  {true, 5, 2},
                                     {false, 0, 6}, {false, 1, 3}, {std::nullopt, 2, 1}};

} // namespace

TEST(report, csv_lists_every_bin) {
  EXPECT_EQ(report_csv(bins), "active,first_week_logins,users\n"
                              "true,0,1\ntrue,3,4\ntrue,5,2\n"
                              "false,0,6\nfalse,1,3\n"
                              "unknown,2,1\n");
}

TEST(report, html_has_a_labelled_chart_per_active_value_with_one_bar_per_bin) {
  auto html = report_html(bins, "2026-11-27 12:00 UTC");
  EXPECT_EQ(occurrences(html, "<svg"), 3u);
  EXPECT_EQ(occurrences(html, "class=\"bar\""), bins.size());
  EXPECT_EQ(occurrences(html, "logins in the first week after signup"), 3u);
  EXPECT_NE(html.find("data-active=\"true\""), std::string::npos);
  EXPECT_NE(html.find("data-logins=\"3\" data-users=\"4\""), std::string::npos);
  // The licence panel: 7 users, (0 + 12 + 10) / 7 logins on average.
  EXPECT_NE(html.find("<span class=\"users\">7</span> users, <span class=\"mean\">3.14</span>"),
            std::string::npos);
  EXPECT_NE(html.find("Generated 2026-11-27 12:00 UTC"), std::string::npos);
}

TEST(report, html_without_users_says_so) {
  auto html = report_html({}, "now");
  EXPECT_NE(html.find("No users yet"), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg"), 0u);
}

TEST(report, html_without_events_says_so_instead_of_a_zero_mean) {
  const std::vector<login_bin> no_logins = {{true, 0, 3}, {false, 0, 5}};
  auto html = report_html(no_logins, "now", false);
  EXPECT_NE(html.find("No events loaded yet"), std::string::npos);
  EXPECT_EQ(html.find("class=\"mean\""), std::string::npos) << html;
  EXPECT_NE(html.find("<span class=\"users\">3</span> users, no events loaded"), std::string::npos);
}
