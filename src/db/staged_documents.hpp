#pragma once

#include "core/staged_user.hpp"

#include <pqxx/connection>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe::db {

/// The columns load-users COPYs into staging.sc_user_document: the document as it came, then
/// the staged fields of sql/0011 (docs/schema.md, "Staged fields").
const std::vector<std::string>& staged_document_columns();

/// Whether load-users may stage fields in this database: only when it stores text as UTF-8, as
/// the loader reads it (elsewhere a \u escape jsonb cannot store there would be staged as text
/// the database cannot hold, where the ETL's SQL path rejects the document).
bool stages_fields(pqxx::connection& conn);

/// Appends to `out` the COPY line (newline included) of one row for those columns: `document`
/// as it came and, when the loader vouched for it, its staged fields (else NULL, so the ETL
/// parses the document itself). Written straight into the line, with no string per field: the
/// loader's CPU per document is what bounds a first load (docs/schema.md, "Staged fields").
void append_staged_document_line(std::string& out, std::string_view document,
                                 const std::optional<staged_user>& fields);

} // namespace scpipe::db
