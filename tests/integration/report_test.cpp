// `scpipe report` on a real database, the page rendered by headless Chromium.

#include "support/database.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <pqxx/nontransaction>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace scpipe;
using namespace scpipe::test;
using namespace std::chrono_literals;

namespace {

/// 30 users with a spread of first-week logins; licence holders log in more.
void fill(const test_database& db) {
  auto conn = db.connect();
  pqxx::nontransaction tx{conn};
  tx.exec("insert into sc.sc_user (user_id, user_email, signup_ts, active, effective_from_ts, "
          "effective_to_ts) select i, 'u' || i || '@x.org', '2019-04-01'::timestamptz + i * "
          "interval '1 day', i % 3 = 0, '1970-01-01', '2199-12-31' from generate_series(1, 30) i");
  tx.exec("insert into sc.sc_user_event (user_id, event_ts, event_type) "
          "select u.user_id, u.signup_ts + k * interval '11 hours', 'login' "
          "from sc.sc_user u, generate_series(1, 14) k "
          "where k <= (case when u.active then 2 + u.user_id % 5 else u.user_id % 3 end)");
}

std::vector<std::string> chromium_args(const std::filesystem::path& out) {
  return {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
          "--user-data-dir=" + out.string() + "/chromium"};
}

/// The DOM of the report in `out` as headless Chromium renders it.
std::string rendered_dom(const std::filesystem::path& out) {
  auto args = chromium_args(out);
  args.insert(args.end(), {"--dump-dom", "file://" + (out / "first_week_logins.html").string()});
  auto dom = run(args, {}, 60s);
  EXPECT_EQ(dom.code, 0) << dom.err;
  return dom.out;
}

/// The bars of a rendered page: "logins:users," each, in page order.
std::string bars_of(const std::string& dom) {
  std::string bars;
  std::regex bar{R"re(data-logins="([0-9+-]+)" data-users="(\d+)")re"};
  for (std::sregex_iterator it{dom.begin(), dom.end(), bar}, end; it != end; ++it)
    bars += (*it)[1].str() + ":" + (*it)[2].str() + ",";
  return bars;
}

} // namespace

TEST(report, html_and_csv_hold_the_numbers_of_the_view_and_render_in_chromium) {
  test_database db;
  db.migrate();
  fill(db);
  auto out = std::filesystem::temp_directory_path() / ("scpipe-report-" + db.name());
  auto r = run({SCPIPE_BINARY, "report", "--out=" + out.string()}, db.env());
  ASSERT_EQ(r.code, 0) << r.out << r.err;

  // The CSV is the view's numbers.
  auto expected = "active,first_week_logins,users\n"
                  + db.scalar("select string_agg(case when active then 'true' else 'false' end "
                              "|| ',' || first_week_logins || ',' || n, E'\\n' order by active "
                              "desc, first_week_logins) || E'\\n' from (select active, "
                              "first_week_logins, count(*) n from sc.first_week_logins group by "
                              "1, 2) t");
  EXPECT_EQ(read_file(out / "first_week_logins.csv"), expected);

  // Chromium's DOM of the rendered page has one bar per bin with the same numbers.
  auto page = "file://" + (out / "first_week_logins.html").string();
  auto chromium = chromium_args(out);
  auto dom = rendered_dom(out);
  EXPECT_EQ(bars_of(dom),
            db.scalar("select string_agg(first_week_logins || ':' || n, ',' order by active "
                      "desc, first_week_logins) || ',' from (select active, "
                      "first_week_logins, count(*) n from sc.first_week_logins group by 1, "
                      "2) t"));

  // The screenshot is not blank: far larger than one of an empty page of the same size.
  auto shot = [&](const std::string& url, const std::string& png) {
    auto args = chromium;
    args.insert(args.end(), {"--window-size=1200,900", "--screenshot=" + png, url});
    auto s = run(args, {}, 60s);
    EXPECT_EQ(s.code, 0) << s.err;
    return std::filesystem::exists(png) ? std::filesystem::file_size(png) : 0;
  };
  auto report_png = shot(page, (out / "report.png").string());
  auto blank_png = shot("about:blank", (out / "blank.png").string());
  EXPECT_GT(report_png, 4 * blank_png) << "report " << report_png << " bytes, blank " << blank_png;
  std::filesystem::remove_all(out);
}

TEST(report, a_million_users_with_heavy_ones_render_in_at_most_thirteen_bars_per_panel) {
  test_database db;
  db.migrate();
  {
    auto conn = db.connect();
    pqxx::nontransaction tx{conn};
    tx.exec("insert into sc.sc_user (user_id, user_email, signup_ts, active) "
            "select i, 'u' || i || '@x.org', '2025-01-01'::timestamptz + (i % 365) * interval "
            "'1 day', case i % 10 when 0 then null when 1 then true else false end "
            "from generate_series(1, 1000000) i");
    // Most users log in 0-6 times; one in a thousand is a heavy user with 40 to 240 logins.
    tx.exec("insert into sc.sc_user_event (user_id, event_ts, event_type) "
            "select u.user_id, u.signup_ts + k * interval '40 seconds', 'login' "
            "from sc.sc_user u cross join lateral generate_series(1, "
            "  case when u.user_id % 1000 = 0 then 40 + u.user_id % 201 "
            "       when u.user_id % 10 < 4 then u.user_id % 7 else 0 end) k");
  }
  auto out = std::filesystem::temp_directory_path() / ("scpipe-report-" + db.name());
  auto r = run({SCPIPE_BINARY, "report", "--out=" + out.string()}, db.env(), 120s);
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto dom = rendered_dom(out);
  // The bars are the view's numbers grouped 0..9, 10-19, 20-49, 50+, per active value.
  EXPECT_EQ(bars_of(dom),
            db.scalar("select string_agg(bin || ':' || n, ',' order by active desc nulls last, "
                      "low) || ',' from (select active, min(first_week_logins) low, count(*) n, "
                      "case when first_week_logins < 10 then first_week_logins::text "
                      "when first_week_logins < 20 then '10-19' "
                      "when first_week_logins < 50 then '20-49' else '50+' end as bin "
                      "from sc.first_week_logins group by active, bin) t"));
  std::smatch time;
  ASSERT_TRUE(std::regex_search(dom, time,
                                std::regex{R"(Events up to (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC))"}))
      << "the page states its data time";
  // The CSV keeps every exact count.
  auto csv = read_file(out / "first_week_logins.csv");
  EXPECT_EQ(std::stoll(db.scalar("select count(distinct (active, first_week_logins)) from "
                                 "sc.first_week_logins"))
                + 1,
            std::count(csv.begin(), csv.end(), '\n'));
  std::filesystem::remove_all(out);
}
