#include "core/crm_rows.hpp"

#include "core/text.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <cctype>

namespace scpipe {

namespace {

constexpr size_t max_chars = 200; // varchar(200) of the contract

} // namespace

const std::array<const char*, 4>& crm_row_mapper::columns() {
  static const std::array<const char*, 4> names = {"customer_email", "industry", "region",
                                                   "company_name"};
  return names;
}

std::optional<csv_error> crm_row_mapper::header(const csv_record& record) {
  width_ = record.fields.size();
  for (size_t i = 0; i < record.fields.size(); ++i) {
    auto name = header_name(record.fields[i]);
    if (name == "user_email")
      name = "customer_email";
    auto it =
        std::find_if(columns().begin(), columns().end(), [&](const char* c) { return name == c; });
    if (it == columns().end()) {
      ignored_.push_back(record.fields[i]);
      continue;
    }
    auto& slot = source_[static_cast<size_t>(it - columns().begin())];
    if (slot)
      return csv_error{record.line,
                       "column '" + record.fields[i] + "' appears twice in the header"};
    slot = i;
  }
  // Every column is required: a missing one would read as 'unknown' for every user and turn
  // wrong data into new SCD-2 versions.
  std::string missing;
  for (size_t c = 0; c < columns().size(); ++c)
    if (!source_[c])
      missing += std::string{missing.empty() ? "" : ", "} + (c == 0 ? "user_email" : columns()[c]);
  if (!missing.empty())
    return csv_error{record.line, "the header has no " + missing + " column"
                                      + (missing.find(',') == std::string::npos ? "" : "s")
                                      + " (expected user_email, industry, region, company_name)"};
  return std::nullopt;
}

std::optional<csv_error> crm_row_mapper::map(const csv_record& record,
                                             std::vector<std::optional<std::string>>& row) const {
  if (record.fields.size() != width_)
    return csv_error{record.line, "expected " + std::to_string(width_)
                                      + " fields as in the header, found "
                                      + std::to_string(record.fields.size())};
  row.assign(columns().size(), std::nullopt); // absent columns stay NULL
  for (size_t c = 0; c < columns().size(); ++c) {
    if (!source_[c])
      continue;
    const auto& value = record.fields[*source_[c]];
    auto length = utf8_length(value);
    if (!length)
      return csv_error{record.line,
                       std::string{columns()[c]} + ": " + *utf8_problem(value) + " in the field"};
    if (*length > max_chars)
      return csv_error{record.line, std::string{columns()[c]} + ": " + std::to_string(*length)
                                        + " characters, more than the 200 the column holds"};
    row[c] = value;
  }
  return std::nullopt;
}

} // namespace scpipe
