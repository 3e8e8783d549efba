#include "db/staging_copy.hpp"

#include "core/copy_text.hpp"

namespace scpipe::db {

// tablewriter is deprecated in libpqxx 6.4 in favour of stream_to, which cannot write a raw
// line (see the header); the pinned Debian version keeps it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

staging_copy::staging_copy(pqxx::connection& conn, const std::string& table,
                           const std::vector<std::string>& columns)
    : tx_{conn}, writer_{std::make_unique<pqxx::tablewriter>(tx_, table, columns.begin(),
                                                             columns.end())} {}

staging_copy::~staging_copy() = default;

void staging_copy::write(copy_lines& lines) {
  if (lines.text.empty())
    return;
  // write_raw_line appends the newline the last line already ends with: hand it over without.
  lines.text.pop_back();
  writer_->write_raw_line(lines.text);
  rows_ += lines.rows;
  lines.text.clear();
  lines.rows = 0;
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
    if (row[i])
      append_copy_text(line, *row[i]);
    else
      line += "\\N";
  }
}

void copy_lines::add(const std::vector<std::optional<std::string>>& row) {
  append_copy_line(text, row);
  text += '\n';
  ++rows;
}

} // namespace scpipe::db
