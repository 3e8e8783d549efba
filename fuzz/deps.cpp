/// Boost.JSON and toml++ compiled into the fuzz build (see CMakeLists.txt: so that libFuzzer's
/// coverage reaches their parsers). Both libraries document this way of building them.

#include <boost/json/src.hpp>

// toml++ 3.3's parser asserts internal preconditions that some malformed headers break
// ("[ = 5", "[[[1]]]"; marzer/tomlplusplus#301) before it reports them as a parse_error
// anyway. Debian's libtomlplusplus is built without these assertions, and so is this copy:
// what is fuzzed is the parser production links.
#define TOML_ASSERT(expr) static_cast<void>(0)
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
