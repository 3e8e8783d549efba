#include "db/staging_copy.hpp"

#include <stdexcept>

namespace scpipe::db {

// tablewriter is deprecated in libpqxx 6.4 in favour of stream_to, which cannot write a raw
// line (see the header); the pinned Debian version keeps it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

staging_copy::staging_copy(pqxx::connection& conn, const std::string& table,
                           const std::vector<std::string>& columns)
    : columns_{columns.size()}, tx_{conn}, writer_{std::make_unique<pqxx::tablewriter>(
                                               tx_, table, columns.begin(), columns.end())} {}

staging_copy::~staging_copy() = default;

void staging_copy::write(const std::vector<std::optional<std::string>>& row) {
  if (row.size() != columns_)
    throw std::logic_error{"staging_copy: a row of " + std::to_string(row.size()) + " values for "
                           + std::to_string(columns_) + " columns"};
  line_.clear();
  append_copy_line(line_, row);
  writer_->write_raw_line(line_);
  ++rows_;
}

size_t staging_copy::commit() {
  writer_->complete();
  writer_.reset();
  tx_.commit();
  return rows_;
}

#pragma GCC diagnostic pop

void append_copy_line(std::string& line, const std::vector<std::optional<std::string>>& row) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0)
      line += '\t';
    if (!row[i]) {
      line += "\\N";
      continue;
    }
    const std::string& v = *row[i];
    size_t start = 0;
    for (size_t k = 0; k < v.size(); ++k) {
      char escaped = 0;
      switch (v[k]) {
      case '\\':
        escaped = '\\';
        break;
      case '\t':
        escaped = 't';
        break;
      case '\n':
        escaped = 'n';
        break;
      case '\r':
        escaped = 'r';
        break;
      default:
        continue;
      }
      line.append(v, start, k - start);
      line += '\\';
      line += escaped;
      start = k + 1;
    }
    line.append(v, start, std::string::npos);
  }
}

} // namespace scpipe::db
