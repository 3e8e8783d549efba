#include "db/staging_copy.hpp"

#include <stdexcept>
#include <tuple>
#include <utility>

namespace scpipe::db {

namespace {

/// libpqxx 6.4 streams tuples only: the row's fields as a tuple of N.
template <size_t... I>
void write_fields(pqxx::stream_to& stream, const std::vector<const char*>& f,
                  std::index_sequence<I...>) {
  stream << std::make_tuple(f[I]...);
}

} // namespace

staging_copy::staging_copy(pqxx::connection& conn, const std::string& table,
                           const std::vector<std::string>& columns)
    : tx_{conn}, stream_{tx_, table, columns} {}

void staging_copy::write(const std::vector<std::optional<std::string>>& row) {
  fields_.clear();
  for (const auto& value : row)
    fields_.push_back(value ? value->c_str() : nullptr); // libpqxx writes a null pointer as NULL
  // One case per width the staging tables need.
  switch (fields_.size()) {
  case 1:
    write_fields(stream_, fields_, std::make_index_sequence<1>{});
    break;
  case 4:
    write_fields(stream_, fields_, std::make_index_sequence<4>{});
    break;
  case 12:
    write_fields(stream_, fields_, std::make_index_sequence<12>{});
    break;
  default:
    throw std::logic_error{"staging_copy: rows of " + std::to_string(fields_.size()) + " columns"};
  }
  ++rows_;
}

size_t staging_copy::commit() {
  stream_.complete();
  tx_.commit();
  return rows_;
}

} // namespace scpipe::db
