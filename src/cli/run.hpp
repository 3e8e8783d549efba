#pragma once

#include "actors/messages.hpp"
#include "cli/commands.hpp"
#include "core/curve_keys.hpp"

#include <vector>

namespace scpipe::cli {

/// `scpipe run`: the service in the foreground until SIGINT/SIGTERM.
int run_command(const invocation& inv);

/// The service's actors, in start order (the supervisor stops them in reverse); `curve`: the
/// broker socket's CURVE keys, null for none.
std::vector<child_spec> service_children(const config& cfg,
                                         std::shared_ptr<const curve_server_keys> curve = {});

/// Runs a supervisor over `children` until SIGINT/SIGTERM (graceful stop, exit 0) or until it
/// gives up past its restart intensity (exit 1). A second signal while stopping exits at once
/// with 1. Shared by `scpipe run` and the supervisor tests' service.
int run_service(const config& cfg, std::vector<child_spec> children);

} // namespace scpipe::cli
