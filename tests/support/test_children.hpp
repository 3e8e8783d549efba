#pragma once

// Test-only children for the supervisor: one that fails on demand, one that drains slowly.

#include "actors/messages.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <string>

namespace scpipe::test {

/// Asks a flaky child to fail now.
using fail_atom = caf::atom_constant<caf::atom("fail")>;

/// Fails (quits with caf::sec::runtime_error, naming itself) when sent fail_atom, or by itself
/// `fail_after` after each start when that is above zero.
caf::behavior flaky_child(caf::event_based_actor* self, std::string name,
                          std::chrono::milliseconds fail_after);

/// Traps the supervisor's stop request, logs it and quits `drain` later, like an actor that
/// finishes its in-flight work first.
caf::behavior draining_child(caf::event_based_actor* self, std::string name,
                             std::chrono::milliseconds drain);

/// A child_spec for flaky_child.
child_spec flaky_spec(std::string name, std::chrono::milliseconds fail_after);

/// A child_spec for draining_child.
child_spec draining_spec(std::string name, std::chrono::milliseconds drain);

} // namespace scpipe::test
