#pragma once

#include <pqxx/connection>
#include <pqxx/tablewriter>
#include <pqxx/transaction>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scpipe::db {

/// Rows in COPY's text format, as a loader's parser appends them: each line ends in '\n'.
struct copy_lines {
  std::string text;
  size_t rows = 0;

  /// Appends `row` as one line (see append_copy_line).
  void add(const std::vector<std::optional<std::string>>& row);
};

/// Rows COPYed into one table within one transaction: all of them land on commit(), none if
/// the object is destroyed before (a file loads wholly or not at all).
///
/// The rows come already in COPY's text format and are handed to libpqxx as they are, many
/// lines in one call: libpqxx 6.4's stream_to escapes every field through a generic converter,
/// which was the load's largest client cost (15 % of load-users' CPU in perf at 1M documents),
/// and keeps its raw-line call private; its older tablewriter offers it.
class staging_copy {
public:
  staging_copy(pqxx::connection& conn, const std::string& table,
               const std::vector<std::string>& columns);
  ~staging_copy();

  staging_copy(const staging_copy&) = delete;
  staging_copy& operator=(const staging_copy&) = delete;

  /// Sends the rows of `lines` and empties it.
  void write(copy_lines& lines);

  /// Ends the COPY and commits; returns the rows written.
  size_t commit();

private:
  pqxx::work tx_;
  std::unique_ptr<pqxx::tablewriter> writer_;
  size_t rows_ = 0;
};

/// Appends `row` to `line` as one line of COPY's text format (without its newline): fields
/// separated by tabs, NULL as \N, each value escaped by append_copy_text.
void append_copy_line(std::string& line, const std::vector<std::optional<std::string>>& row);

} // namespace scpipe::db
