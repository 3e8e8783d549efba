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
  std::vector<std::string> chromium = {"/usr/bin/chromium", "--headless", "--no-sandbox",
                                       "--disable-gpu",
                                       "--user-data-dir=" + out.string() + "/chromium"};
  auto dom_args = chromium;
  dom_args.insert(dom_args.end(), {"--dump-dom", page});
  auto dom = run(dom_args, {}, 60s);
  ASSERT_EQ(dom.code, 0) << dom.err;
  std::string bars;
  std::regex bar{R"re(data-logins="(\d+)" data-users="(\d+)")re"};
  for (std::sregex_iterator it{dom.out.begin(), dom.out.end(), bar}, end; it != end; ++it)
    bars += (*it)[1].str() + ":" + (*it)[2].str() + ",";
  EXPECT_EQ(bars, db.scalar("select string_agg(first_week_logins || ':' || n, ',' order by active "
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
