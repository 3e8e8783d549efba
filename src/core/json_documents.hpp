#pragma once

#include "core/utf8.hpp"

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// One JSON document found in a stream, with where it started.
struct json_document {
  std::string text;  ///< exactly as it came, from its first to its last character
  size_t line = 0;   ///< 1-based line of its first character
  size_t record = 0; ///< 1-based position among the stream's documents
};

/// What is wrong with a stream, and where.
struct json_stream_error {
  size_t line = 0;
  size_t record = 0; ///< the document it concerns (0: none yet)
  std::string message;
};

/// Splits a stream of user documents into its top-level JSON objects without building a tree
/// of the whole stream: memory stays within one document however large the file. Accepts one
/// JSON array of objects, or objects one after another (NDJSON, or pretty-printed ones).
/// Each document's syntax (and UTF-8) is checked with Boost.JSON. Errors name the line at fault:
/// in NDJSON (records one per line so far) a broken record's own line, not where the scan ended.
///
///   feed(chunk) ─▶ scan: depth, strings, escapes ─▶ complete object ─▶ parse check ─▶ out
class json_document_splitter {
public:
  /// Largest document accepted; a larger one is an error rather than unbounded memory (an
  /// unclosed brace would otherwise buffer the rest of the file).
  static constexpr size_t default_max_document_bytes = 256u << 20;

  /// Called with each document's parse tree just before the document is appended, so a caller
  /// that reads fields parses each document once.
  using document_visitor = std::function<void(const boost::json::value&)>;

  explicit json_document_splitter(size_t max_document_bytes = default_max_document_bytes,
                                  document_visitor visit = {})
      : max_bytes_{max_document_bytes}, visit_{std::move(visit)} {}

  /// Scans `chunk`, appending every document it completes to `out`. On an error the stream is
  /// unusable from there on.
  std::optional<json_stream_error> feed(std::string_view chunk, std::vector<json_document>& out);

  /// Declares the end of the stream: an unfinished document or array is an error.
  std::optional<json_stream_error> finish(std::vector<json_document>& out);

  /// Documents found so far.
  size_t records() const {
    return record_;
  }

private:
  enum class state {
    start,
    between,
    in_array_before_element,
    in_array_after_element,
    in_document,
    done
  };

  std::optional<json_stream_error> scan(std::string_view chunk, std::vector<json_document>& out);
  std::optional<json_stream_error> fail(std::string message);
  json_stream_error locate_syntax_error() const;
  json_stream_error at_its_line(json_stream_error error) const;
  std::optional<json_stream_error> too_large();
  std::optional<json_stream_error> complete(std::vector<json_document>& out);

  size_t max_bytes_;
  document_visitor visit_;
  state state_ = state::start;
  bool array_ = false;
  size_t line_ = 1;
  size_t record_ = 0;
  size_t depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  /// Whether a record so far spanned lines (then the stream is not NDJSON).
  bool spanning_seen_ = false;
  /// Bytes scanned before the current chunk, and where the current document starts.
  size_t consumed_ = 0;
  size_t document_offset_ = 0;
  bom_skipper bom_;
  json_document current_;
};

} // namespace scpipe
