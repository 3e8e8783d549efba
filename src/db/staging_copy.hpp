#pragma once

#include <pqxx/connection>
#include <pqxx/stream_to>
#include <pqxx/transaction>

#include <optional>
#include <string>
#include <vector>

namespace scpipe::db {

/// Rows COPYed into one table within one transaction: all of them land on commit(), none if
/// the object is destroyed before (a file loads wholly or not at all).
class staging_copy {
public:
  staging_copy(pqxx::connection& conn, const std::string& table,
               const std::vector<std::string>& columns);

  /// Appends a row (one value per column; nullopt is NULL).
  void write(const std::vector<std::optional<std::string>>& row);

  /// Ends the COPY and commits; returns the rows written.
  size_t commit();

private:
  pqxx::work tx_;
  pqxx::stream_to stream_;
  std::vector<const char*> fields_;
  size_t rows_ = 0;
};

} // namespace scpipe::db
