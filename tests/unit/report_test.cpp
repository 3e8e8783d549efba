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
  auto html = report_html(bins, "2026-11-27 12:00:00 UTC");
  EXPECT_EQ(occurrences(html, "<svg"), 3u);
  EXPECT_EQ(occurrences(html, "class=\"bar\""), bins.size());
  EXPECT_EQ(occurrences(html, "logins in the first week after signup"), 3u);
  EXPECT_NE(html.find("data-active=\"true\""), std::string::npos);
  EXPECT_NE(html.find("data-logins=\"3\" data-users=\"4\""), std::string::npos);
  // The licence panel: 7 users, (0 + 12 + 10) / 7 logins on average.
  EXPECT_NE(html.find("<span class=\"users\">7</span> users, <span class=\"mean\">3.14</span>"),
            std::string::npos);
  EXPECT_NE(html.find("Events up to 2026-11-27 12:00:00 UTC"), std::string::npos);
}

TEST(report, login_ranges_are_single_counts_to_nine_then_grouped) {
  std::vector<std::string> labels;
  for (const auto& r : login_ranges())
    labels.push_back(r.label());
  EXPECT_EQ(labels, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
                                              "10-19", "20-49", "50+"}));
  EXPECT_EQ(range_of(0), 0u);
  EXPECT_EQ(range_of(9), 9u);
  EXPECT_EQ(range_of(10), 10u);
  EXPECT_EQ(range_of(19), 10u);
  EXPECT_EQ(range_of(20), 11u);
  EXPECT_EQ(range_of(49), 11u);
  EXPECT_EQ(range_of(50), 12u);
  EXPECT_EQ(range_of(1000000), 12u);
}

TEST(report, heavy_users_are_binned_and_every_panel_has_the_same_bars_and_scale) {
  const std::vector<login_bin> heavy = {{true, 2, 5},   {true, 12, 3},   {true, 15, 4},
                                        {true, 300, 1}, {true, 5000, 1}, {false, 0, 40},
                                        {false, 1, 2}};
  auto html = report_html(heavy, "now");
  EXPECT_NE(html.find("data-logins=\"10-19\" data-users=\"7\""), std::string::npos);
  EXPECT_NE(html.find("data-logins=\"50+\" data-users=\"2\""), std::string::npos);
  EXPECT_EQ(occurrences(html, "class=\"bar\""), 5u); // 2, 10-19, 50+; 0, 1
  // Both panels label all 13 bars (up to the highest count of either), on one y scale (the
  // tallest bar of all, 40 users, tops both axes).
  EXPECT_EQ(occurrences(html, ">50+</text>"), 2u);
  EXPECT_EQ(occurrences(html, ">40</text>"), 3u); // the y tick of both panels, and the bar's count
  // The mean stays exact: (10 + 36 + 60 + 300 + 5000) / 14.
  EXPECT_NE(html.find("<span class=\"users\">14</span> users, <span class=\"mean\">386.14</span>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td>true</td><td>10-19</td><td>7</td></tr>"), std::string::npos);
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
