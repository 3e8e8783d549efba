#include "core/sqlstate.hpp"

namespace scpipe {

failure_action classify_sqlstate(std::string_view sqlstate) {
  if (sqlstate.size() != 5)
    return failure_action::reconnect;
  auto cls = sqlstate.substr(0, 2);
  if (cls == "22" || cls == "23")
    return failure_action::isolate_rows;
  if (cls == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03")
    return failure_action::reconnect;
  return failure_action::retry;
}

} // namespace scpipe
