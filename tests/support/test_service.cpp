// The service of `scpipe run` with test-only children, for the supervisor's end-to-end tests:
//
//   scpipe_test_service [--flaky-after-ms N] [--drain-ms N]
//
// Children, in start order: alpha (draining), flaky (only with --flaky-after-ms: fails N ms
// after every start), beta (draining). Configuration comes from SCPIPE_* variables only.

#include "cli/run.hpp"
#include "core/log.hpp"
#include "support/test_children.hpp"

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  using namespace scpipe;
  std::chrono::milliseconds flaky_after{0};
  std::chrono::milliseconds drain{50};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg{argv[i]};
    if (arg == "--flaky-after-ms")
      flaky_after = std::chrono::milliseconds{std::stoll(argv[i + 1])};
    else if (arg == "--drain-ms")
      drain = std::chrono::milliseconds{std::stoll(argv[i + 1])};
  }
  auto loaded = load_config("", false, process_environment());
  if (auto* errors = std::get_if<config_errors>(&loaded)) {
    for (const auto& e : *errors)
      std::cerr << e << '\n';
    return 2;
  }
  const auto& cfg = std::get<config>(loaded);
  log::set_level(*log::parse_level(cfg.log.level));
  std::vector<child_spec> children{test::draining_spec("alpha", drain)};
  if (flaky_after.count() > 0)
    children.push_back(test::flaky_spec("flaky", flaky_after));
  children.push_back(test::draining_spec("beta", drain));
  return cli::run_service(cfg, std::move(children));
}
