#pragma once

// The tables scpipe's C++ code names as values (COPY targets, what messages point at), in one
// place. The migrations (sql/) create them; docs/schema.md is their contract. SQL statements
// in src/db/ spell the tables they read as SQL text does.

#include <string_view>

namespace scpipe::db::tables {

inline constexpr std::string_view user_documents = "staging.sc_user_document";
inline constexpr std::string_view crm_customers = "staging.crm_customer";
inline constexpr std::string_view events = "sc.sc_user_event";
inline constexpr std::string_view dead_letters = "scpipe.rejected_event";
inline constexpr std::string_view rejected_documents = "scpipe.rejected_user_document";
/// The ledger of committed session messages, pruned by the writers (the id ledger,
/// scpipe.event_ledger, is named in its SQL and pruned by dropping its generations).
inline constexpr std::string_view session_ledger = "scpipe.session_ledger";

} // namespace scpipe::db::tables
