#include "core/version.hpp"

namespace scpipe {

std::string_view version() {
  return SCPIPE_VERSION; // set for this file only, by CMakeLists.txt
}

} // namespace scpipe
