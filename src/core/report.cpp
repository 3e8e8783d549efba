#include "core/report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace scpipe {

namespace {

std::string active_name(const std::optional<bool>& a) {
  return a ? (*a ? "true" : "false") : "unknown";
}

std::string panel_title(const std::optional<bool>& a) {
  if (!a)
    return "Active flag unknown";
  return *a ? "Bought a licence (active = true)" : "No licence (active = false)";
}

std::string escape_html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// A "nice" tick step so about five ticks cover `max`.
int64_t tick_step(int64_t max) {
  for (int64_t base = 1;; base *= 10)
    for (int64_t m : {1, 2, 5})
      if (max / (base * m) <= 5)
        return base * m;
}

/// One panel's chart: `users_by_range[r]` users in login_ranges()[r], bars 0..`ranges` - 1.
/// Every panel shares `ranges` and `max_users`, so bars compare.
std::string chart(const std::vector<int64_t>& users_by_range, size_t ranges, int64_t max_users) {
  const int width = 560, height = 300, left = 64, right = 16, top = 16, bottom = 52;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const double slot = plot_w / static_cast<double>(ranges);
  auto y_of = [&](int64_t users) {
    return top + plot_h - plot_h * static_cast<double>(users) / static_cast<double>(max_users);
  };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width)
                    + "\" height=\"" + std::to_string(height) + "\" role=\"img\">\n";
  // y axis with ticks and grid lines
  for (int64_t t = 0; t <= max_users; t += tick_step(max_users)) {
    auto y = fixed(y_of(t), 1);
    svg += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(width - right)
           + "\" y1=\"" + y + "\" y2=\"" + y + "\" stroke=\"#ddd\"/>";
    svg += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + y
           + "\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"12\">"
           + std::to_string(t) + "</text>\n";
  }
  // bars, their counts, and the x labels
  for (size_t r = 0; r < ranges; ++r) {
    auto x = left + slot * static_cast<double>(r);
    int64_t users = users_by_range[r];
    auto cx = fixed(x + slot / 2, 1);
    auto label = login_ranges()[r].label();
    if (users > 0) {
      auto y = y_of(users);
      svg += "<rect class=\"bar\" data-logins=\"" + label + "\" data-users=\""
             + std::to_string(users) + "\" x=\"" + fixed(x + slot * 0.12, 1) + "\" y=\""
             + fixed(y, 1) + "\" width=\"" + fixed(slot * 0.76, 1) + "\" height=\""
             + fixed(top + plot_h - y, 1) + "\" fill=\"#3a7bd5\"/>";
      svg += "<text x=\"" + cx + "\" y=\"" + fixed(y - 4, 1)
             + "\" text-anchor=\"middle\" font-size=\"10\">" + std::to_string(users) + "</text>";
    }
    svg += "<text x=\"" + cx + "\" y=\"" + fixed(top + plot_h + 16, 1)
           + "\" text-anchor=\"middle\" font-size=\"11\">" + label + "</text>\n";
  }
  // axes and their labels
  svg += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(left) + "\" y1=\""
         + std::to_string(top) + "\" y2=\"" + fixed(top + plot_h, 1) + "\" stroke=\"#333\"/>";
  svg += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(width - right)
         + "\" y1=\"" + fixed(top + plot_h, 1) + "\" y2=\"" + fixed(top + plot_h, 1)
         + "\" stroke=\"#333\"/>\n";
  svg += "<text x=\"" + fixed(left + plot_w / 2, 1) + "\" y=\"" + std::to_string(height - 10)
         + "\" text-anchor=\"middle\" font-size=\"13\">logins in the first week after "
           "signup</text>\n";
  svg += "<text transform=\"translate(14," + fixed(top + plot_h / 2, 1)
         + ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">users</text>\n";
  return svg + "</svg>\n";
}

} // namespace

std::string report_csv(const std::vector<login_bin>& bins) {
  std::string out = "active,first_week_logins,users\n";
  for (const auto& b : bins)
    out += active_name(b.active) + "," + std::to_string(b.logins) + "," + std::to_string(b.users)
           + "\n";
  return out;
}

std::string login_range::label() const {
  if (!last)
    return std::to_string(first) + "+";
  return *last == first ? std::to_string(first)
                        : std::to_string(first) + "-" + std::to_string(*last);
}

const std::vector<login_range>& login_ranges() {
  static const std::vector<login_range> ranges = [] {
    std::vector<login_range> out;
    for (int64_t n = 0; n <= 9; ++n)
      out.push_back({n, n});
    out.push_back({10, 19});
    out.push_back({20, 49});
    out.push_back({50, std::nullopt});
    return out;
  }();
  return ranges;
}

size_t range_of(int64_t logins) {
  const auto& ranges = login_ranges();
  for (size_t r = 0; r + 1 < ranges.size(); ++r)
    if (logins <= *ranges[r].last)
      return r;
  return ranges.size() - 1;
}

std::string report_html(const std::vector<login_bin>& bins, std::string_view data_time,
                        bool events_loaded) {
  // Panels in a fixed order: licence first, then none, then unknown.
  std::vector<std::optional<bool>> order = {true, false, std::nullopt};
  struct panel {
    std::vector<int64_t> users_by_range = std::vector<int64_t>(login_ranges().size());
    int64_t users = 0;
    int64_t logins = 0; ///< the sum, for the exact mean
  };
  std::map<int, panel> panels; // index in `order` → its numbers
  size_t ranges = 1;
  int64_t max_users = 1;
  for (const auto& b : bins) {
    auto i = static_cast<int>(std::find(order.begin(), order.end(), b.active) - order.begin());
    auto& p = panels[i];
    auto r = range_of(b.logins);
    p.users_by_range[r] += b.users;
    p.users += b.users;
    p.logins += b.logins * b.users;
    ranges = std::max(ranges, r + 1);
    max_users = std::max(max_users, p.users_by_range[r]);
  }
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<title>First-week logins by licence</title>\n"
      "<style>body{font-family:sans-serif;margin:24px;color:#222}"
      ".panels{display:flex;flex-wrap:wrap;gap:24px}.panel{border:1px solid #ccc;padding:12px}"
      "table{border-collapse:collapse;margin-top:16px}td,th{border:1px solid #ccc;padding:2px "
      "8px;text-align:right}</style>\n</head><body>\n"
      "<h1>Do users who bought a licence log in more in their first week?</h1>\n"
      "<p>Current users (<code>sc.first_week_logins</code>): number of <code>login</code> "
      "events between signup and seven days later. <span id=\"data-time\">Events up to "
      + escape_html(data_time)
      + "</span> (every event committed by then is counted). Counts of 10 or more are "
        "grouped; every panel has the same scale.</p>\n";
  if (panels.empty())
    html += "<p id=\"empty\">No users yet: load users and run the ETL first.</p>\n";
  else if (!events_loaded)
    html += "<p id=\"no-events\">No events loaded yet (<code>sc.sc_user_event</code> is empty): "
            "every user counts 0 logins until producers send events.</p>\n";
  html += "<div class=\"panels\">\n";
  for (const auto& [i, p] : panels) {
    auto mean = p.users ? static_cast<double>(p.logins) / static_cast<double>(p.users) : 0.0;
    html += "<div class=\"panel\" data-active=\"" + active_name(order[i]) + "\">\n<h2>"
            + panel_title(order[i]) + "</h2>\n<p><span class=\"users\">" + std::to_string(p.users)
            + "</span> users, "
            + (events_loaded ? "<span class=\"mean\">" + fixed(mean, 2)
                                   + "</span> first-week logins on average</p>\n"
                             : std::string{"no events loaded</p>\n"})
            + chart(p.users_by_range, ranges, max_users) + "</div>\n";
  }
  html += "</div>\n<table id=\"numbers\"><tr><th>active</th><th>first-week "
          "logins</th><th>users</th></tr>\n";
  for (const auto& [i, p] : panels)
    for (size_t r = 0; r < ranges; ++r)
      if (p.users_by_range[r] > 0)
        html += "<tr><td>" + active_name(order[i]) + "</td><td>" + login_ranges()[r].label()
                + "</td><td>" + std::to_string(p.users_by_range[r]) + "</td></tr>\n";
  return html
         + "</table>\n<p>Exact counts: <code>first_week_logins.csv</code>.</p>\n"
           "</body></html>\n";
}

} // namespace scpipe
