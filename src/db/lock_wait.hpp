#pragma once

#include <pqxx/connection>

#include <string>

namespace scpipe::db {

/// Who keeps the session `backend_pid` waiting for a lock, asked over another connection
/// (`observer`): e.g. "'scpipe etl' (pid 4242, for 12 s: select scpipe.run_user_etl(...))".
/// Empty when it waits for nobody.
std::string lock_holders(pqxx::connection& observer, int backend_pid);

} // namespace scpipe::db
