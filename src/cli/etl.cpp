#include "cli/etl.hpp"

#include "cli/interrupt.hpp"
#include "core/log.hpp"
#include "db/connection.hpp"
#include "db/tables.hpp"
#include "db/user_etl.hpp"

#include <pqxx/except>

#include <iostream>

namespace scpipe::cli {

int etl_command(const invocation& inv) {
  try {
    db::connection conn{inv.cfg.database, "scpipe etl"};
    command_interrupt on_signal{"scpipe etl", conn.get(), inv.cfg.database};
    auto s = db::run_user_etl(conn.get(), inv.cfg.etl.timezone, inv.has("--full"));
    std::cout << "inserted " << s.inserted << ", changed " << s.changed << ", unchanged "
              << s.unchanged << ", rejected " << s.rejected << " (run " << s.run_id << ", "
              << static_cast<int64_t>(s.duration_ms) << " ms)\n";
    if (auto gaps = db::count_dimension_gaps(conn.get());
        gaps.without_email + gaps.without_signup > 0)
      std::cout << "current users without an e-mail (no CRM attributes): " << gaps.without_email
                << ", without a signup time (no first week): " << gaps.without_signup << '\n';
    if (s.rejected > 0)
      std::cout << "rejected documents and their reasons: select * from "
                << db::tables::rejected_documents << " where run_id = " << s.run_id << ";\n";
    return exit_success;
  } catch (const pqxx::sql_error& e) {
    std::cerr << "scpipe etl: " << db::error_text(e) << "; nothing was changed\n";
  } catch (const std::exception& e) {
    std::cerr << "scpipe etl: " << db::one_line(e.what()) << '\n';
  }
  return exit_failure;
}

} // namespace scpipe::cli
