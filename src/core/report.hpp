#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// One bar of the first-week report: how many current users with this `active` flag logged in
/// `logins` times in the week after their signup (sc.first_week_logins, grouped).
struct login_bin {
  std::optional<bool> active; ///< nullopt: the flag is unknown
  int64_t logins = 0;
  int64_t users = 0;
};

/// A bar of the chart: users with `first` to `last` first-week logins (no `last`: or more).
struct login_range {
  int64_t first = 0;
  std::optional<int64_t> last;
  /// "3", "10-19", "50+".
  std::string label() const;
};

/// The chart's bars, whatever the counts: 0, 1, ... 9, 10-19, 20-49, 50+.
const std::vector<login_range>& login_ranges();

/// The index in login_ranges() of the bar counting `logins`.
size_t range_of(int64_t logins);

/// The numbers as CSV: `active,first_week_logins,users` (active: true, false or unknown).
std::string report_csv(const std::vector<login_bin>& bins);

/// A self-contained HTML page: per `active` value a panel with an SVG bar chart (x: logins in
/// the first week, binned by login_ranges() up to the highest count of any panel; y: users; both
/// axes labelled, one scale for every panel), the users and the exact mean, and a table of the
/// bars' numbers. `data_time` (events committed up to it are counted) is shown as given. Without
/// events at all (`events_loaded` false) the page says so instead of a mean of 0.
std::string report_html(const std::vector<login_bin>& bins, std::string_view data_time,
                        bool events_loaded = true);

} // namespace scpipe
