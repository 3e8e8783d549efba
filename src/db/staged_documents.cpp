#include "db/staged_documents.hpp"

#include <pqxx/transaction>

namespace scpipe::db {

namespace {

/// A PostgreSQL array literal of text elements ('{"a","b",NULL}'), each element quoted.
template <class Member>
std::string text_array(const std::vector<staged_item>& items, Member member) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1)
      out += ',';
    const std::optional<std::string>& value = member(item);
    if (!value) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *value) {
      if (c == '"' || c == '\\')
        out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::optional<std::string> flag(const std::optional<bool>& b) {
  if (!b)
    return std::nullopt;
  return std::string{*b ? "t" : "f"};
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

std::vector<std::optional<std::string>>
staged_document_row(std::string document, const std::optional<staged_user>& fields) {
  std::vector<std::optional<std::string>> row(staged_document_columns().size());
  row[0] = std::move(document);
  if (!fields)
    return row;
  const auto& u = *fields;
  auto id = [](const staged_item& i) { return std::optional<std::string>{i.id}; };
  auto name = [](const staged_item& i) { return i.name; };
  auto ts = [](const staged_item& i) { return i.ts; };
  auto created_ts = [](const staged_item& i) { return i.created_ts; };
  row[1] = std::to_string(u.user_id);
  row[2] = u.user_email;
  row[3] = flag(u.on_trial);
  row[4] = flag(u.active);
  row[5] = u.signup_ts;
  row[6] = text_array(u.checklists, id);
  row[7] = text_array(u.checklists, name);
  row[8] = text_array(u.checklists, ts);
  row[9] = text_array(u.inspections, id);
  row[10] = text_array(u.inspections, ts);
  row[11] = text_array(u.inspections, created_ts);
  return row;
}

} // namespace scpipe::db
