#include "db/staged_documents.hpp"

#include "core/copy_text.hpp"

#include <pqxx/transaction>

#include <utility>

namespace scpipe::db {

namespace {

/// `value`'s text, or null for a missing value.
const std::string* text_of(const std::optional<std::string>& value) {
  return value ? &*value : nullptr;
}

/// Appends a PostgreSQL array literal of text elements ('{"a","b",NULL}', each element quoted)
/// to `out`, escaped for COPY: within an element a quote or a backslash takes a backslash,
/// which COPY's text format then doubles like any other (append_copy_text).
void append_text_array(std::string& out, const std::vector<staged_item>& items,
                       const std::string* (*member)(const staged_item&)) {
  out += '{';
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0)
      out += ',';
    const std::string* value = member(items[k]);
    if (!value) {
      out += "NULL";
      continue;
    }
    out += '"';
    std::string_view v{*value};
    size_t plain = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != '"' && v[i] != '\\')
        continue;
      append_copy_text(out, v.substr(plain, i - plain));
      out += v[i] == '"' ? R"(\\")" : R"(\\\\)";
      plain = i + 1;
    }
    append_copy_text(out, v.substr(plain));
    out += '"';
  }
  out += '}';
}

void append_text(std::string& out, const std::optional<std::string>& value) {
  if (value)
    append_copy_text(out, *value);
  else
    out += R"(\N)";
}

void append_flag(std::string& out, const std::optional<bool>& b) {
  out += !b ? R"(\N)" : *b ? "t" : "f";
}

} // namespace

bool stages_fields(pqxx::connection& conn) {
  pqxx::read_transaction tx{conn, "server_encoding"};
  return tx.exec1("show server_encoding")[0].as<std::string>() == "UTF8";
}

const std::vector<std::string>& staged_document_columns() {
  static const std::vector<std::string> columns{
      "user_document",        "staged_user_id",        "staged_user_email",
      "staged_on_trial",      "staged_active",         "staged_signup_ts",
      "staged_checklist_id",  "staged_checklist_name", "staged_checklist_created_on",
      "staged_inspection_id", "staged_inspection_ts",  "staged_inspection_created_ts"};
  return columns;
}

void append_staged_document_line(std::string& out, std::string_view document,
                                 const std::optional<staged_user>& fields) {
  append_copy_text(out, document);
  if (!fields) {
    for (size_t i = 1; i < staged_document_columns().size(); ++i)
      out += "\t\\N";
    out += '\n';
    return;
  }
  const auto& u = *fields;
  auto id = [](const staged_item& i) { return &i.id; };
  auto name = [](const staged_item& i) { return text_of(i.name); };
  auto ts = [](const staged_item& i) { return text_of(i.ts); };
  auto created_ts = [](const staged_item& i) { return text_of(i.created_ts); };
  out += '\t';
  out += std::to_string(u.user_id);
  out += '\t';
  append_text(out, u.user_email);
  out += '\t';
  append_flag(out, u.on_trial);
  out += '\t';
  append_flag(out, u.active);
  out += '\t';
  append_text(out, u.signup_ts);
  // The six arrays, in the order of staged_document_columns().
  using member = const std::string* (*)(const staged_item&);
  const std::pair<const std::vector<staged_item>*, member> arrays[] = {
      {&u.checklists, id},  {&u.checklists, name}, {&u.checklists, ts},
      {&u.inspections, id}, {&u.inspections, ts},  {&u.inspections, created_ts}};
  for (const auto& [items, value] : arrays) {
    out += '\t';
    append_text_array(out, *items, value);
  }
  out += '\n';
}

} // namespace scpipe::db
