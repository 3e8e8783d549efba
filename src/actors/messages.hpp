#pragma once

// Atoms and message payloads exchanged between scpipe's actors. Together with actors.hpp this
// file is the whole conversation between the actors.

#include <caf/atom.hpp>

#include <functional>
#include <string>

namespace caf {
class actor;
class actor_system;
} // namespace caf

namespace scpipe {

// -- atoms ---------------------------------------------------------------------------------

/// Asks an actor to stop gracefully (the supervisor: stop intake, drain, stop children).
using stop_atom = caf::atom_constant<caf::atom("stop")>;

/// The supervisor's own reminder that a failed child's backoff is over.
using restart_atom = caf::atom_constant<caf::atom("restart")>;

/// The supervisor's own reminder that a stopping child exceeded its stop timeout.
using stop_timeout_atom = caf::atom_constant<caf::atom("stop_to")>;

/// Asks the test-only flaky child to fail now.
using fail_atom = caf::atom_constant<caf::atom("fail")>;

// -- payloads ------------------------------------------------------------------------------

/// A child the supervisor starts (in list order), monitors, restarts and stops (in reverse
/// order). `spawn` is called for the first start and again for every restart; whatever typed
/// handles the child needs are captured by it.
struct child_spec {
  /// Unique name, used in logs.
  std::string name;
  /// Spawns the child in the given actor system and returns its handle.
  std::function<caf::actor(caf::actor_system&)> spawn;
  /// Optional: called on the supervisor's thread right after the child is asked to stop, to
  /// unblock a detached child blocked in I/O (e.g. cancel its running query); a blocked actor
  /// sees the stop request only when its handler returns.
  std::function<void()> interrupt = {};
};

} // namespace scpipe
