#pragma once

#include "core/report.hpp"

#include <pqxx/connection>

#include <vector>

namespace scpipe::db {

/// What the first-week report shows, read from the view analysts query themselves
/// (sc.first_week_logins), and whether any event is loaded at all.
struct first_week_numbers {
  std::vector<login_bin> bins;
  bool events_loaded = false;
};

first_week_numbers read_first_week_numbers(pqxx::connection& conn);

/// Whether staging already holds user documents (the seed loads its users only once).
bool staging_has_documents(pqxx::connection& conn);

} // namespace scpipe::db
