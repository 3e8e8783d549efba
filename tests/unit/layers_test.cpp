// The layers the build links (CMakeLists.txt): main -> cli -> actors -> db -> core. Every
// dependency's headers sit in /usr/include, where any source could reach them, so this test is
// what keeps a layer from including a layer above it or a library its own does not link.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

/// What a layer's sources may not include: prefixes of the text after "#include ".
const std::map<std::string, std::vector<std::string>> forbidden = {
    {"core", {"\"db/", "\"actors/", "\"cli/", "<caf/", "<pqxx/", "<zmq"}},
    {"db", {"\"actors/", "\"cli/", "<caf/", "<zmq"}},
    {"actors", {"\"cli/"}},
    {"cli", {}},
};

} // namespace

TEST(layers, no_source_includes_a_layer_above_its_own_or_a_library_its_layer_does_not_link) {
  const fs::path src = fs::path{SCPIPE_SOURCE_DIR} / "src";
  size_t files = 0;
  for (const auto& [layer, banned] : forbidden) {
    for (const auto& entry : fs::directory_iterator{src / layer}) {
      auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".hpp")
        continue;
      ++files;
      std::ifstream in{entry.path()};
      int number = 0;
      for (std::string line; std::getline(in, line);) {
        ++number;
        if (!line.starts_with("#include "))
          continue;
        auto target = line.substr(9);
        for (const auto& prefix : banned)
          EXPECT_FALSE(target.starts_with(prefix))
              << entry.path().string() << ":" << number << ": " << layer << "/ includes " << target;
      }
    }
  }
  EXPECT_GT(files, 50u) << "the layers' sources were not found under " << src;
}
