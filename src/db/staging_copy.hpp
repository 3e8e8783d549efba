#pragma once

#include <pqxx/connection>
#include <pqxx/tablewriter>
#include <pqxx/transaction>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scpipe::db {

/// Rows COPYed into one table within one transaction: all of them land on commit(), none if
/// the object is destroyed before (a file loads wholly or not at all).
///
/// Each row is escaped here into one line of COPY's text format and handed to libpqxx as it
/// is: libpqxx 6.4's stream_to escapes every field through a generic converter, which was the
/// load's largest client cost (15 % of load-users' CPU in perf at 1M documents), and keeps its
/// raw-line call private; its older tablewriter offers it.
class staging_copy {
public:
  staging_copy(pqxx::connection& conn, const std::string& table,
               const std::vector<std::string>& columns);
  ~staging_copy();

  staging_copy(const staging_copy&) = delete;
  staging_copy& operator=(const staging_copy&) = delete;

  /// Appends a row (one value per column; nullopt is NULL).
  void write(const std::vector<std::optional<std::string>>& row);

  /// Ends the COPY and commits; returns the rows written.
  size_t commit();

private:
  size_t columns_;
  pqxx::work tx_;
  std::unique_ptr<pqxx::tablewriter> writer_;
  std::string line_;
  size_t rows_ = 0;
};

/// Appends `row` to `line` as one line of COPY's text format (without its newline): fields
/// separated by tabs, NULL as \N, and backslash, tab, newline and carriage return escaped.
void append_copy_line(std::string& line, const std::vector<std::optional<std::string>>& row);

} // namespace scpipe::db
