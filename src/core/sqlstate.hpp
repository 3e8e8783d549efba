#pragma once

#include <string_view>

namespace scpipe {

/// What a writer does about a failed batch, decided by the SQLSTATE's class.
enum class failure_action {
  /// The data is at fault (class 22 data exception, 23 integrity violation): split the batch
  /// to isolate the bad rows, dead-letter them, commit the rest.
  isolate_rows,
  /// The connection is gone or the server is going away (class 08, 57P01..57P03, and errors
  /// without a SQLSTATE): reconnect with backoff, then retry the same batch.
  reconnect,
  /// The server refused for now (serialization failure, deadlock, statement timeout or
  /// cancel, disk full, out of memory, too many connections, a missing table or privilege
  /// an operator will fix): retry the same batch after a backoff on the same connection.
  retry,
};

/// The action for `sqlstate` (five characters; empty when libpq reported none).
failure_action classify_sqlstate(std::string_view sqlstate);

} // namespace scpipe
