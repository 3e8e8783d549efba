#pragma once

#include "cli/commands.hpp"

namespace scpipe::cli {

/// `scpipe load-users FILE...`: user documents into staging.sc_user_document.
int load_users_command(const invocation& inv);

/// `scpipe load-crm FILE...`: CRM CSV exports into staging.crm_customer.
int load_crm_command(const invocation& inv);

} // namespace scpipe::cli
