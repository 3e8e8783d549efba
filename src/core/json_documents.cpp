#include "core/json_documents.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <array>

namespace scpipe {

namespace {

/// The bytes the scanner must look at inside a document (bit 1: in a string, which a quote or a
/// line break ends or a backslash escapes; bit 2: outside strings, where a quote, a bracket or a
/// line break matters). It skips every other byte in a tight loop: the scan was a tenth of
/// load-users' CPU byte by byte.
constexpr unsigned char in_string = 1;
constexpr unsigned char outside_string = 2;
constexpr std::array<unsigned char, 256> document_bytes = [] {
  std::array<unsigned char, 256> bytes{};
  for (unsigned char c : {'"', '\\', '\n'})
    bytes[c] |= in_string;
  for (unsigned char c : {'"', '{', '[', '}', ']', '\n'})
    bytes[c] |= outside_string;
  return bytes;
}();

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string describe(char c) {
  if (static_cast<unsigned char>(c) < 0x20)
    return "a control character";
  return std::string{"'"} + c + "'";
}

} // namespace

std::optional<json_stream_error> json_document_splitter::fail(std::string message) {
  auto record = state_ == state::in_document ? current_.record : 0;
  state_ = state::done;
  return at_its_line(json_stream_error{line_, record, std::move(message)});
}

json_stream_error json_document_splitter::at_its_line(json_stream_error error) const {
  // In NDJSON a record cannot span lines: once records came one per line, a record that runs
  // on is a line cut short, and the error belongs to that line, not to where the scan gave up
  // (the end of the file, often).
  bool ndjson = !array_ && !spanning_seen_ && current_.record > 1;
  bool runs_on = current_.text.find('\n') != std::string::npos;
  if (!ndjson || !runs_on || error.record != current_.record || error.line == current_.line)
    return error;
  error.message =
      "not complete on its line (records come one per line before it): " + error.message;
  error.line = current_.line;
  return error;
}

std::optional<json_stream_error> json_document_splitter::complete(std::vector<json_document>& out) {
  // The scanner found the document's extent; Boost.JSON checks the syntax inside it.
  unsigned char arena[4096];
  boost::json::monotonic_resource mr{arena, sizeof arena};
  boost::json::error_code ec;
  boost::json::parse_options opt;
  opt.max_depth = 64;
  auto parsed = boost::json::parse(current_.text, ec, &mr, opt);
  if (ec) {
    state_ = state::done;
    return locate_syntax_error();
  }
  if (visit_)
    visit_(parsed);
  spanning_seen_ = spanning_seen_ || current_.text.find('\n') != std::string::npos;
  out.push_back(std::move(current_));
  current_ = {};
  state_ = array_ ? state::in_array_after_element : state::between;
  return std::nullopt;
}

std::optional<json_stream_error> json_document_splitter::too_large() {
  auto line = current_.line;
  auto record = current_.record;
  state_ = state::done;
  return at_its_line({line, record,
                      "record " + std::to_string(record) + " starting here is larger than "
                          + std::to_string(max_bytes_) + " bytes (is a closing brace missing?)"});
}

json_stream_error json_document_splitter::locate_syntax_error() const {
  // Rare: parse again, incrementally, to learn how far the text is valid.
  boost::json::parse_options opt;
  opt.max_depth = 64;
  boost::json::stream_parser parser{{}, opt};
  boost::json::error_code ec;
  auto valid = parser.write(current_.text.data(), current_.text.size(), ec);
  if (!ec)
    parser.finish(ec);
  std::string_view text{current_.text};
  if (auto bad = utf8_invalid_offset(text); bad && *bad <= valid) {
    // Not a syntax error: bytes that are not text. Named in hex, never printed raw.
    auto before = text.substr(0, *bad);
    auto line = current_.line + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    return at_its_line(
        {line, current_.record, *utf8_problem(text.substr(*bad), document_offset_ + *bad)});
  }
  valid = std::min(valid, text.size());
  auto before = text.substr(0, valid);
  auto line = current_.line + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  auto context = std::string{before.substr(before.size() > 24 ? before.size() - 24 : 0)};
  for (auto& ch : context)
    if (static_cast<unsigned char>(ch) < 0x20)
      ch = ' ';
  return at_its_line({line, current_.record,
                      "invalid JSON (" + ec.message() + ") right after \"" + context + "\""});
}

std::optional<json_stream_error> json_document_splitter::feed(std::string_view chunk,
                                                              std::vector<json_document>& out) {
  return scan(bom_.next(chunk), out);
}

std::optional<json_stream_error> json_document_splitter::scan(std::string_view chunk,
                                                              std::vector<json_document>& out) {
  size_t i = 0;
  size_t segment = 0; // start of the current document's text within this chunk
  for (; i < chunk.size(); ++i) {
    if (state_ == state::in_document && !escape_) {
      auto wanted = in_string_ ? in_string : outside_string;
      while (i < chunk.size()
             && (document_bytes[static_cast<unsigned char>(chunk[i])] & wanted) == 0)
        ++i;
      if (i == chunk.size())
        break;
    }
    char c = chunk[i];
    if (state_ == state::in_document) {
      if (in_string_ && c == '\n') { // JSON strings hold no raw line breaks: a line cut short
        // The text so far belongs to the document, whatever the chunking, for the error.
        current_.text.append(chunk.substr(segment, i - segment));
        if (current_.text.size() > max_bytes_)
          return too_large(); // as a chunked read would have found first
        return fail("the line ends inside a string (is it cut short?)");
      }
      if (c == '\n')
        ++line_;
      if (in_string_) {
        if (escape_)
          escape_ = false;
        else if (c == '\\')
          escape_ = true;
        else if (c == '"')
          in_string_ = false;
        continue;
      }
      if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++depth_;
      } else if (c == '}' || c == ']') {
        if (--depth_ == 0) {
          current_.text.append(chunk.substr(segment, i + 1 - segment));
          if (current_.text.size() > max_bytes_)
            return too_large();
          if (auto err = complete(out))
            return err;
        }
      }
      continue;
    }
    if (c == '\n')
      ++line_;
    if (is_space(c))
      continue;
    switch (state_) {
    case state::start:
      if (c == '[') {
        array_ = true;
        state_ = state::in_array_before_element;
        continue;
      }
      [[fallthrough]];
    case state::between:
    case state::in_array_before_element:
      if (c == '{') {
        state_ = state::in_document;
        current_.line = line_;
        current_.record = ++record_;
        document_offset_ = consumed_ + i;
        depth_ = 1;
        segment = i;
        continue;
      }
      if (state_ == state::in_array_before_element && c == ']' && record_ == 0) {
        state_ = state::done;
        continue;
      }
      ++record_;
      current_.record = record_;
      state_ = state::in_document; // so the error names this record
      return fail("expected a JSON object, found " + describe(c));
    case state::in_array_after_element:
      if (c == ',') {
        state_ = state::in_array_before_element;
      } else if (c == ']') {
        state_ = state::done;
      } else {
        return fail("expected ',' or ']' after record " + std::to_string(record_) + ", found "
                    + describe(c));
      }
      continue;
    case state::done:
      return fail("unexpected " + describe(c) + " after the end of the array");
    case state::in_document:
      break; // handled above
    }
  }
  consumed_ += chunk.size();
  if (state_ == state::in_document) {
    current_.text.append(chunk.substr(segment));
    if (current_.text.size() > max_bytes_)
      return too_large();
  }
  return std::nullopt;
}

std::optional<json_stream_error> json_document_splitter::finish(std::vector<json_document>& out) {
  if (auto err = scan(bom_.flush(), out))
    return err;
  switch (state_) {
  case state::in_document:
    return fail("the file ends inside record " + std::to_string(current_.record)
                + (in_string_ ? " (in a string)" : ""));
  case state::in_array_before_element:
  case state::in_array_after_element:
    return fail("the file ends before the array's closing ']'");
  default:
    return std::nullopt;
  }
}

} // namespace scpipe
