#pragma once

#include "actors/actors.hpp"
#include "core/config.hpp"
#include "core/restart_policy.hpp"

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <vector>

namespace scpipe {

/// What the supervisor is told at spawn.
struct supervisor_settings {
  /// Backoff and restart intensity.
  restart_policy::settings restart;
  /// Time a child gets to stop after it is asked to before it is killed.
  std::chrono::milliseconds stop_timeout{std::chrono::seconds{supervisor_config{}.stop_timeout_s}};
};

/// The supervisor's state: its children, their handles and the restart bookkeeping.
struct supervisor_state {
  static inline const char* name = "supervisor";

  supervisor_settings settings;
  restart_policy policy{restart_policy::settings{}};
  /// The children in start order.
  std::vector<child_spec> children;
  /// Running handle per child (same index); empty while the child waits for its restart.
  std::vector<caf::actor> running;
  /// Whether shutdown has begun; from then on nothing is restarted.
  bool stopping = false;
  /// Counts shutdown steps, so a stale stop timeout is recognised and ignored.
  uint64_t stop_step = 0;
  /// The reason the supervisor quits with once every child is stopped.
  caf::error quit_reason;
};

/// Starts `children` in order, monitors them and restarts a failed one after an exponential
/// backoff. Past the restart intensity it stops the others in reverse order and quits with
/// ec::restart_intensity_exceeded; on stop_atom (or an exit message) it stops every child in
/// reverse order and quits normally.
///
///   start:  child[0] → child[1] → … → child[n-1]
///   stop:   child[n-1] → … → child[0]   (each: exit(user_shutdown), wait for its down
///                                         message, kill it after stop_timeout)
supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self, supervisor_settings settings,
           std::vector<child_spec> children);

} // namespace scpipe
