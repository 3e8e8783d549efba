#include "cli/report.hpp"

#include "cli/interrupt.hpp"
#include "core/log.hpp"
#include "core/report.hpp"
#include "db/connection.hpp"
#include "db/report_reads.hpp"

#include <pqxx/except>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace scpipe::cli {

namespace {

db::first_week_numbers read_numbers(const database_config& database) {
  db::connection conn{database, "scpipe report"};
  command_interrupt on_signal{"scpipe report", conn.get(), database};
  return db::read_first_week_numbers(conn.get());
}

bool write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary};
  out << log::scrubbed(text);
  out.close();
  if (!out) {
    std::cerr << "scpipe report: " << path.string() << ": cannot write\n";
    return false;
  }
  return true;
}

} // namespace

int report_command(const invocation& inv) {
  std::filesystem::path dir = inv.value("--out").value_or("report");
  db::first_week_numbers numbers;
  try {
    numbers = read_numbers(inv.cfg.database);
  } catch (const db::connect_error& e) {
    std::cerr << "scpipe report: " << e.what() << '\n';
    return exit_failure;
  } catch (const pqxx::sql_error& e) {
    std::cerr << "scpipe report: " << db::error_text(e) << '\n';
    return exit_failure;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "scpipe report: " << dir.string() << ": " << ec.message() << '\n';
    return exit_failure;
  }
  auto html = dir / "first_week_logins.html";
  auto csv = dir / "first_week_logins.csv";
  if (!write_file(html, report_html(numbers.bins, numbers.data_time, numbers.events_loaded))
      || !write_file(csv, report_csv(numbers.bins)))
    return exit_failure;
  if (!numbers.events_loaded)
    std::cerr << "scpipe report: no events loaded (sc.sc_user_event is empty): every user counts "
                 "0 logins\n";
  std::cout << "report: " << html.string() << "\nnumbers: " << csv.string() << '\n';
  return exit_success;
}

} // namespace scpipe::cli
