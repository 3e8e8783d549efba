#pragma once

#include "core/csv_reader.hpp"
#include "core/json_documents.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// How an events file is written (docs/cli.md): CSV with a header, or JSON (one array of
/// event objects, or NDJSON).
enum class event_file_format { json, csv };

/// CSV when the name ends in ".csv" (any case), JSON otherwise.
event_file_format event_file_format_of(std::string_view path);

/// One event found in a file: a JSON object's text and the line it starts on.
struct event_text {
  std::string json;
  size_t line = 0; ///< 1-based
};

/// What is wrong with an events file, and where.
struct event_file_error {
  size_t line = 0;
  std::string message;
};

/// Turns an events file, arriving in chunks of any size, into one JSON object text per event,
/// holding no more than one event (or CSV record) at a time. The fields are not checked: the
/// service owns the event rules (docs/protocol.md), in one place.
///
/// - JSON: each top-level object is passed on exactly as it came (json_document_splitter).
/// - CSV: the header must name user_id, event_time and event_type, may name platform and
///   first_event, in any order and case; each row becomes an object of its fields as JSON strings,
///   keyed by the header, an empty field left out: `7,ios,5/13/2019 3:11:04,login,` →
///   `{"user_id":"7","platform":"ios",...}`. Further columns are carried along like unknown fields
///   of a JSON event (the service ignores them).
class event_file_reader {
public:
  /// The columns an events CSV header may name (in any case and order, spaces around ignored).
  static constexpr std::array<std::string_view, 5> csv_columns = {
      "user_id", "platform", "event_time", "event_type", "first_event"};
  /// Those it must name: the optional fields of an event may be left out.
  static constexpr std::array<std::string_view, 3> required_csv_columns = {"user_id", "event_time",
                                                                           "event_type"};

  explicit event_file_reader(event_file_format format) : format_{format} {}

  /// Reads `chunk`, appending every event it completes to `out`. On an error the file is
  /// unusable from there on.
  std::optional<event_file_error> feed(std::string_view chunk, std::vector<event_text>& out);

  /// Declares the end of the file: an unfinished event is an error, and so is an empty file
  /// (a CSV file without a header, a JSON file without even "[]").
  std::optional<event_file_error> finish(std::vector<event_text>& out);

private:
  std::optional<event_file_error> take_documents(std::vector<event_text>& out);
  std::optional<event_file_error> take_records(std::vector<event_text>& out);
  std::optional<event_file_error> read_header(const csv_record& record);

  event_file_format format_;
  json_document_splitter splitter_;
  std::vector<json_document> documents_;
  csv_reader csv_;
  std::vector<csv_record> records_;
  std::vector<std::string> header_;
  bool header_seen_ = false;
  bool content_seen_ = false; ///< JSON: anything but whitespace yet
};

} // namespace scpipe
