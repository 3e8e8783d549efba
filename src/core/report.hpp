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

/// The numbers as CSV: `active,first_week_logins,users` (active: true, false or unknown).
std::string report_csv(const std::vector<login_bin>& bins);

/// A self-contained HTML page: per `active` value a panel with an SVG bar chart (x: logins in
/// the first week, y: users; both axes labelled, one scale for every panel), the users and the
/// mean, and a table of the same numbers. `generated_at` is shown as given. Without events at
/// all (`events_loaded` false) the page says so instead of a mean of 0.
std::string report_html(const std::vector<login_bin>& bins, std::string_view generated_at,
                        bool events_loaded = true);

} // namespace scpipe
