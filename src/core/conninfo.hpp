#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scpipe {

/// Returns a libpq connection string (key=value form or postgresql:// URI) with every password
/// replaced by "****", for logs and error messages. Everything else is kept as written.
std::string redact_conninfo(std::string_view conninfo);

/// Returns the passwords written in a connection string, both as written and, for URIs,
/// percent-decoded, so a log scrubber can remove them wherever they turn up. Empty if none.
std::vector<std::string> conninfo_passwords(std::string_view conninfo);

} // namespace scpipe

namespace scpipe {

/// Adds `key=value` to a connection string (URI or key=value form) unless the string already
/// sets that key, e.g. with_parameter("", "connect_timeout", "5") == "connect_timeout=5".
std::string with_parameter(std::string_view conninfo, std::string_view key, std::string_view value);

} // namespace scpipe
