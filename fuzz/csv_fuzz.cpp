/// Fuzzes csv_reader (src/core/csv_reader.hpp) and crm_row_mapper (src/core/crm_rows.hpp): a
/// CRM export as `load-crm` streams it. The first input byte picks a chunk size and a record
/// size limit; the rest is the file. Checks that the file fed in chunks gives exactly what it
/// gives in one piece, that the records written back as CSV read back to the same fields, that
/// lines are in the file and increasing, and that every mapped row fits staging.crm_customer.

#include "core/crm_rows.hpp"
#include "core/csv_reader.hpp"
#include "core/utf8.hpp"
#include "require.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace scpipe;
using fuzz::require;

struct read_result {
  std::vector<csv_record> records;
  std::optional<csv_error> error;
};

read_result read(std::string_view file, size_t chunk, size_t max_bytes) {
  csv_reader reader{max_bytes};
  read_result out;
  for (size_t at = 0; at < file.size() && !out.error; at += chunk)
    out.error = reader.feed(file.substr(at, chunk), out.records);
  if (!out.error)
    out.error = reader.finish(out.records);
  return out;
}

bool same_fields(const std::vector<csv_record>& a, const std::vector<csv_record>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return x.fields == y.fields; });
}

/// The records as RFC 4180 text, every field quoted.
std::string write_csv(const std::vector<csv_record>& records) {
  std::string out;
  for (const auto& r : records) {
    for (size_t i = 0; i < r.fields.size(); ++i) {
      out += i ? ",\"" : "\"";
      for (char c : r.fields[i])
        out += c == '"' ? std::string{"\"\""} : std::string{c};
      out += '"';
    }
    out += "\r\n";
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  // Low bits: chunk size 1..32; high bit: a small record limit, to reach the size error.
  size_t chunk = (data[0] & 0x1F) + 1;
  size_t max_bytes = data[0] & 0x80 ? 64 : csv_reader::default_max_record_bytes;
  std::string_view file{reinterpret_cast<const char*>(data + 1), size - 1};

  auto whole = read(file, file.size() + 1, max_bytes);
  auto chunked = read(file, chunk, max_bytes);
  require(std::equal(whole.records.begin(), whole.records.end(), chunked.records.begin(),
                     chunked.records.end(),
                     [](const auto& a, const auto& b) {
                       return a.fields == b.fields && a.line == b.line;
                     }),
          "chunking does not change the records");
  require(whole.error.has_value() == chunked.error.has_value()
              && (!whole.error
                  || (whole.error->line == chunked.error->line
                      && whole.error->message == chunked.error->message)),
          "chunking does not change the error");

  size_t lines = 1 + static_cast<size_t>(std::count(file.begin(), file.end(), '\n'))
                 + static_cast<size_t>(std::count(file.begin(), file.end(), '\r'));
  size_t previous = 0;
  for (const auto& r : whole.records) {
    require(!r.fields.empty(), "a record has a field");
    require(r.line > previous && r.line <= lines, "records start on increasing lines");
    previous = r.line;
  }
  if (whole.error)
    require(whole.error->line >= 1 && whole.error->line <= lines && !whole.error->message.empty(),
            "an error names a line of the file");

  // Written back, the records read back to the same fields.
  auto written = write_csv(whole.records);
  auto reread = read(written, written.size() + 1, csv_reader::default_max_record_bytes);
  require(!reread.error, "written records read back without error");
  require(same_fields(reread.records, whole.records), "written records read back the same");

  // As a CRM export: the first record is the header.
  if (whole.records.empty())
    return 0;
  crm_row_mapper mapper;
  if (mapper.header(whole.records.front()))
    return 0;
  std::vector<std::optional<std::string>> row;
  for (size_t i = 1; i < whole.records.size(); ++i) {
    if (mapper.map(whole.records[i], row))
      continue;
    require(row.size() == crm_row_mapper::columns().size(), "a row has the staging columns");
    require(row[0].has_value(), "customer_email is always mapped");
    for (const auto& value : row)
      if (value) {
        auto chars = utf8_length(*value);
        require(chars && *chars <= 200, "a value is UTF-8 text of at most 200 characters");
      }
  }
  return 0;
}
