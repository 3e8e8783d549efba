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

/// One panel's chart. Every panel shares `max_logins` and `max_users`, so bars compare.
std::string chart(const std::map<int64_t, int64_t>& users_by_logins, int64_t max_logins,
                  int64_t max_users) {
  const int width = 520, height = 300, left = 56, right = 16, top = 16, bottom = 52;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const double slot = plot_w / static_cast<double>(max_logins + 1);
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
  for (int64_t l = 0; l <= max_logins; ++l) {
    auto x = left + slot * static_cast<double>(l);
    auto it = users_by_logins.find(l);
    int64_t users = it == users_by_logins.end() ? 0 : it->second;
    auto cx = fixed(x + slot / 2, 1);
    if (users > 0) {
      auto y = y_of(users);
      svg += "<rect class=\"bar\" data-logins=\"" + std::to_string(l) + "\" data-users=\""
             + std::to_string(users) + "\" x=\"" + fixed(x + slot * 0.12, 1) + "\" y=\""
             + fixed(y, 1) + "\" width=\"" + fixed(slot * 0.76, 1) + "\" height=\""
             + fixed(top + plot_h - y, 1) + "\" fill=\"#3a7bd5\"/>";
      svg += "<text x=\"" + cx + "\" y=\"" + fixed(y - 4, 1)
             + "\" text-anchor=\"middle\" font-size=\"11\">" + std::to_string(users) + "</text>";
    }
    svg += "<text x=\"" + cx + "\" y=\"" + fixed(top + plot_h + 16, 1)
           + "\" text-anchor=\"middle\" font-size=\"12\">" + std::to_string(l) + "</text>\n";
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
  svg += "<text transform=\"translate(16," + fixed(top + plot_h / 2, 1)
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

std::string report_html(const std::vector<login_bin>& bins, std::string_view generated_at,
                        bool events_loaded) {
  // Panels in a fixed order: licence first, then none, then unknown.
  std::vector<std::optional<bool>> order = {true, false, std::nullopt};
  std::map<int, std::map<int64_t, int64_t>> panels; // index in `order` → logins → users
  int64_t max_logins = 0, max_users = 1;
  for (const auto& b : bins) {
    auto i = static_cast<int>(std::find(order.begin(), order.end(), b.active) - order.begin());
    panels[i][b.logins] += b.users;
    max_logins = std::max(max_logins, b.logins);
    max_users = std::max(max_users, panels[i][b.logins]);
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
      "events between signup and seven days later. Generated "
      + escape_html(generated_at) + ".</p>\n";
  if (panels.empty())
    html += "<p id=\"empty\">No users yet: load users and run the ETL first.</p>\n";
  else if (!events_loaded)
    html += "<p id=\"no-events\">No events loaded yet (<code>sc.sc_user_event</code> is empty): "
            "every user counts 0 logins until producers send events.</p>\n";
  html += "<div class=\"panels\">\n";
  for (const auto& [i, users_by_logins] : panels) {
    int64_t users = 0, logins = 0;
    for (const auto& [l, u] : users_by_logins) {
      users += u;
      logins += l * u;
    }
    auto mean = users ? static_cast<double>(logins) / static_cast<double>(users) : 0.0;
    html += "<div class=\"panel\" data-active=\"" + active_name(order[i]) + "\">\n<h2>"
            + panel_title(order[i]) + "</h2>\n<p><span class=\"users\">" + std::to_string(users)
            + "</span> users, "
            + (events_loaded ? "<span class=\"mean\">" + fixed(mean, 2)
                                   + "</span> first-week logins on average</p>\n"
                             : std::string{"no events loaded</p>\n"})
            + chart(users_by_logins, max_logins, max_users) + "</div>\n";
  }
  html += "</div>\n<table id=\"numbers\"><tr><th>active</th><th>first-week "
          "logins</th><th>users</th></tr>\n";
  for (const auto& b : bins)
    html += "<tr><td>" + active_name(b.active) + "</td><td>" + std::to_string(b.logins)
            + "</td><td>" + std::to_string(b.users) + "</td></tr>\n";
  return html + "</table>\n</body></html>\n";
}

} // namespace scpipe
