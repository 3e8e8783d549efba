#pragma once

#include "core/utf8.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// One CSV record and the line it starts on.
struct csv_record {
  std::vector<std::string> fields;
  size_t line = 0; ///< 1-based
};

/// What is wrong with CSV text, and where.
struct csv_error {
  size_t line = 0;
  std::string message;
};

/// A streaming RFC 4180 reader: comma-separated, fields optionally in double quotes (which may
/// hold commas, line breaks and doubled quotes), CRLF or LF line ends, a UTF-8 byte-order mark
/// at the start ignored, blank lines skipped. Memory stays within one record.
class csv_reader {
public:
  /// Largest record accepted; a larger one is an error rather than unbounded memory (an
  /// unclosed quote would otherwise buffer the rest of the file).
  static constexpr size_t default_max_record_bytes = 16u << 20;

  explicit csv_reader(size_t max_record_bytes = default_max_record_bytes)
      : max_bytes_{max_record_bytes} {}

  /// Scans `chunk`, appending every record it completes to `out`.
  std::optional<csv_error> feed(std::string_view chunk, std::vector<csv_record>& out);

  /// Declares the end of the text: completes the last record (a missing final line end is
  /// fine), or reports an unterminated quoted field.
  std::optional<csv_error> finish(std::vector<csv_record>& out);

private:
  enum class state { field_start, unquoted, quoted, quote_in_quoted, after_cr };

  std::optional<csv_error> scan(std::string_view chunk, std::vector<csv_record>& out);
  void end_field();
  void end_record(std::vector<csv_record>& out);

  size_t max_bytes_;
  size_t record_bytes_ = 0;
  state state_ = state::field_start;
  size_t line_ = 1;
  size_t quote_line_ = 0;
  bom_skipper bom_;
  bool record_started_ = false;
  std::string field_;
  csv_record record_;
};

} // namespace scpipe
