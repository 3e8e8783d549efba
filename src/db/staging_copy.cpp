#include "db/staging_copy.hpp"

#include <stdexcept>
#include <tuple>

namespace scpipe::db {

staging_copy::staging_copy(pqxx::connection& conn, const std::string& table,
                           const std::vector<std::string>& columns)
    : tx_{conn}, stream_{tx_, table, columns} {}

void staging_copy::write(const std::vector<std::optional<std::string>>& row) {
  fields_.clear();
  for (const auto& value : row)
    fields_.push_back(value ? value->c_str() : nullptr); // libpqxx writes a null pointer as NULL
  // libpqxx 6.4 streams tuples only: one case per width the staging tables need.
  const auto& f = fields_;
  switch (f.size()) {
  case 1:
    stream_ << std::make_tuple(f[0]);
    break;
  case 4:
    stream_ << std::make_tuple(f[0], f[1], f[2], f[3]);
    break;
  default:
    throw std::logic_error{"staging_copy: rows of " + std::to_string(f.size()) + " columns"};
  }
  ++rows_;
}

size_t staging_copy::commit() {
  stream_.complete();
  tx_.commit();
  return rows_;
}

} // namespace scpipe::db
