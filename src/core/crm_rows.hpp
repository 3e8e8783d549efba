#pragma once

#include "core/csv_reader.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace scpipe {

/// Turns CSV records of a CRM export into rows of staging.crm_customer
/// (customer_email, industry, region, company_name). The header names the columns in any
/// order; all four are required (`user_email`, or `customer_email`, lands in customer_email);
/// columns the table has no place for are ignored (and reported by ignored_columns()).
class crm_row_mapper {
public:
  /// The staging columns, in the order rows are produced.
  static const std::array<const char*, 4>& columns();

  /// Reads the header record; an error names what is wrong with it.
  std::optional<csv_error> header(const csv_record& record);

  /// Maps a data record; an error names the line and the column at fault (field count,
  /// invalid UTF-8, a value over 200 characters).
  std::optional<csv_error> map(const csv_record& record,
                               std::vector<std::optional<std::string>>& row) const;

  /// Header names that were ignored.
  const std::vector<std::string>& ignored_columns() const {
    return ignored_;
  }

private:
  size_t width_ = 0;
  /// For each staging column, its index in the CSV record (if present).
  std::array<std::optional<size_t>, 4> source_;
  std::vector<std::string> ignored_;
};

} // namespace scpipe
