// docs/operations.md must name every configuration key and every metric the service has.

#include "actors/stream_metrics.hpp"
#include "core/config.hpp"
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace scpipe;

namespace {

std::string operations_doc() {
  std::ifstream in{std::string{SCPIPE_SOURCE_DIR} + "/docs/operations.md"};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST(operations_doc, names_every_configuration_key) {
  auto doc = operations_doc();
  ASSERT_FALSE(doc.empty());
  for (const auto& key : config_keys())
    EXPECT_NE(doc.find("`" + key.name + "`"), std::string::npos)
        << key.name << " is not documented";
}

TEST(operations_doc, names_every_metric) {
  stream_metrics::get().replies(reply_status::ok); // registers the event stream's metrics
  metrics::global().get_counter("scpipe_supervisor_restarts_total", "", {{"child", "x"}});
  auto doc = operations_doc();
  std::regex family{R"(# TYPE (\S+) )"};
  auto text = metrics::global().render();
  size_t n = 0;
  for (std::sregex_iterator it{text.begin(), text.end(), family}, end; it != end; ++it, ++n)
    EXPECT_NE(doc.find("`" + (*it)[1].str()), std::string::npos)
        << (*it)[1] << " is not documented";
  EXPECT_GE(n, 17u);
}
