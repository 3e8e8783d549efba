#pragma once

#include "core/staged_user.hpp"

#include <pqxx/connection>

#include <optional>
#include <string>
#include <vector>

namespace scpipe::db {

/// The columns load-users COPYs into staging.sc_user_document: the document as it came, then
/// the staged fields of sql/0011 (docs/schema.md, "Staged fields").
const std::vector<std::string>& staged_document_columns();

/// Whether load-users may stage fields in this database: only when it stores text as UTF-8, as
/// the loader reads it (elsewhere a \u escape jsonb cannot store there would be staged as text
/// the database cannot hold, where the ETL's SQL path rejects the document).
bool stages_fields(pqxx::connection& conn);

/// One row for those columns: `document` as it came and, when the loader vouched for it, its
/// staged fields (else NULL, so the ETL parses the document itself).
std::vector<std::optional<std::string>>
staged_document_row(std::string document, const std::optional<staged_user>& fields);

} // namespace scpipe::db
