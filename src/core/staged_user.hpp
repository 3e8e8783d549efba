#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// A timestamp as upstream writes it, in the form PostgreSQL reads without ambiguity: ISO
/// 'YYYY-MM-DD HH:MM:SS[.ffffff]', followed by '+hh:mm' or '-hh:mm' when upstream gave a
/// zone. A time without zone stays local: the ETL reads it in its configured time zone (it
/// casts with TimeZone set to etl.timezone), as scpipe.parse_upstream_ts does.
///
/// Accepts exactly what the contract parser scpipe.parse_upstream_ts accepts (docs/schema.md):
/// 'YYYY-MM-DD[T ]HH:MM:SS[.ffffff]' with an optional 'Z' or '±hh[:mm]' (hh at most 15), and
/// 'M/D/YYYY H:MM:SS'; real dates only, year 0001 to 9999. Anything else is nullopt.
std::optional<std::string> normalize_upstream_ts(std::string_view text);

/// A checklist or inspection entry of a staged document.
struct staged_item {
  std::string id;
  std::optional<std::string> name;       ///< checklist_name (checklists only)
  std::optional<std::string> ts;         ///< created_on, or inspection_ts (normalized)
  std::optional<std::string> created_ts; ///< created_ts (inspections only; normalized)
};

/// The contract fields of a user document, read once while it streams in, so that the ETL
/// need not parse the JSON again (docs/schema.md, "Staged fields").
struct staged_user {
  int32_t user_id = 0;
  std::optional<std::string> user_email;
  std::optional<bool> on_trial;
  std::optional<bool> active;
  std::optional<std::string> signup_ts; ///< normalized
  /// In the order of their last occurrence's position; a repeated id keeps its last entry.
  std::vector<staged_item> checklists;
  std::vector<staged_item> inspections;
};

/// The fields of `document` when it is a document the ETL would accept as it stands, with the
/// values the ETL's SQL would read from it; nullopt for every other document. Such a document
/// is left to the ETL's SQL path, which rejects it with a reason or reads it: deciding here only
/// for plainly good documents keeps one authority, the SQL, for every doubtful one (a \u0000
/// anywhere, a number jsonb cannot hold, a value of an unexpected type, an impossible date).
std::optional<staged_user> stage_user_document(const boost::json::value& document);

} // namespace scpipe
