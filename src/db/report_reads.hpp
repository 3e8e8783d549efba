#pragma once

#include "core/report.hpp"

#include <pqxx/connection>

#include <string>
#include <vector>

namespace scpipe::db {

/// What the first-week report shows, read from the view analysts query themselves
/// (sc.first_week_logins), whether any event is loaded at all, and the data time: every event
/// committed before it is counted ("YYYY-MM-DD HH:MM:SS UTC").
struct first_week_numbers {
  std::vector<login_bin> bins;
  bool events_loaded = false;
  std::string data_time;
};

first_week_numbers read_first_week_numbers(pqxx::connection& conn);

/// Whether staging already holds user documents (the seed loads its users only once).
bool staging_has_documents(pqxx::connection& conn);

} // namespace scpipe::db
