#pragma once

#include <cstdio>
#include <cstdlib>

namespace scpipe::fuzz {

/// Ends the run when an invariant of the code under test does not hold; libFuzzer then saves
/// the input and names the target.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

} // namespace scpipe::fuzz
