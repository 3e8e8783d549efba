#include "core/event_files.hpp"

#include "core/text.hpp"
#include "core/utf8.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace scpipe {

namespace {

std::string expected_header() {
  std::string out;
  for (auto c : event_file_reader::csv_columns)
    out += (out.empty() ? "" : ",") + std::string{c};
  return out;
}

} // namespace

event_file_format event_file_format_of(std::string_view path) {
  constexpr std::string_view csv = ".csv";
  if (path.size() < csv.size())
    return event_file_format::json;
  auto tail = path.substr(path.size() - csv.size());
  bool is_csv = std::equal(tail.begin(), tail.end(), csv.begin(), [](char a, char b) {
    return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
  });
  return is_csv ? event_file_format::csv : event_file_format::json;
}

std::optional<event_file_error> event_file_reader::feed(std::string_view chunk,
                                                        std::vector<event_text>& out) {
  if (format_ == event_file_format::json) {
    content_seen_ = content_seen_ || chunk.find_first_not_of(" \t\r\n") != std::string_view::npos;
    if (auto err = splitter_.feed(chunk, documents_))
      return event_file_error{
          err->line, (err->record ? "record " + std::to_string(err->record) + ": " : std::string{})
                         + err->message};
    return take_documents(out);
  }
  if (auto err = csv_.feed(chunk, records_))
    return event_file_error{err->line, err->message};
  return take_records(out);
}

std::optional<event_file_error> event_file_reader::finish(std::vector<event_text>& out) {
  if (format_ == event_file_format::json) {
    if (auto err = splitter_.finish(documents_))
      return event_file_error{
          err->line, (err->record ? "record " + std::to_string(err->record) + ": " : std::string{})
                         + err->message};
    if (!content_seen_)
      return event_file_error{
          1, "the file is empty (expected a JSON array of events, NDJSON or one event)"};
    return take_documents(out);
  }
  if (auto err = csv_.finish(records_))
    return event_file_error{err->line, err->message};
  if (auto err = take_records(out))
    return err;
  if (!header_seen_)
    return event_file_error{1, "the file is empty (expected a header: " + expected_header() + ")"};
  return std::nullopt;
}

std::optional<event_file_error> event_file_reader::take_documents(std::vector<event_text>& out) {
  for (auto& d : documents_)
    out.push_back({std::move(d.text), d.line});
  documents_.clear();
  return std::nullopt;
}

std::optional<event_file_error> event_file_reader::read_header(const csv_record& record) {
  // Known columns match in any case, with spaces around; others are carried as they are.
  std::vector<std::string> names;
  for (const auto& field : record.fields) {
    auto known = header_name(field);
    bool is_known = std::find(csv_columns.begin(), csv_columns.end(), known) != csv_columns.end();
    names.push_back(is_known ? known : field);
  }
  std::vector<std::string> missing;
  for (auto c : required_csv_columns)
    if (std::find(names.begin(), names.end(), c) == names.end())
      missing.emplace_back(c);
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& name = names[i];
    if (name.empty())
      return event_file_error{record.line,
                              "header column " + std::to_string(i + 1)
                                  + " has no name (expected a header: " + expected_header() + ")"};
    if (!utf8_length(name))
      return event_file_error{record.line,
                              "header column " + std::to_string(i + 1) + " is not valid UTF-8"};
    if (std::find(names.begin(), names.begin() + static_cast<ptrdiff_t>(i), name)
        != names.begin() + static_cast<ptrdiff_t>(i))
      return event_file_error{record.line, "header names column '" + name + "' twice"};
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing)
      list += (list.empty() ? "" : ", ") + m;
    return event_file_error{record.line, "the header lacks " + list
                                             + " (expected a header: " + expected_header() + ")"};
  }
  header_ = std::move(names);
  return std::nullopt;
}

std::optional<event_file_error> event_file_reader::take_records(std::vector<event_text>& out) {
  for (const auto& record : records_) {
    if (!header_seen_) {
      header_seen_ = true;
      if (auto err = read_header(record))
        return err;
      continue;
    }
    if (record.fields.size() != header_.size())
      return event_file_error{record.line, "expected " + std::to_string(header_.size())
                                               + " fields as in the header, found "
                                               + std::to_string(record.fields.size())};
    boost::json::object event;
    for (size_t i = 0; i < header_.size(); ++i) {
      const auto& value = record.fields[i];
      if (value.empty())
        continue;
      if (auto problem = utf8_problem(value))
        return event_file_error{record.line, header_[i] + ": " + *problem + " in the field"};
      event[header_[i]] = value;
    }
    out.push_back({boost::json::serialize(event), record.line});
  }
  records_.clear();
  return std::nullopt;
}

} // namespace scpipe
