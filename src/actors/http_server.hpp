#pragma once

#include "actors/actors.hpp"
#include "core/config.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>

namespace scpipe {

class http_poller;

/// The HTTP server's state: its listening socket and the thread serving it.
struct http_server_state {
  static inline const char* name = "http_server";

  std::unique_ptr<http_poller> poller;

  http_server_state();
  ~http_server_state();
};

/// Binds http.listen and serves, one short request at a time on its own thread:
///   GET /metrics  200, metrics::global() in Prometheus text format 0.0.4
///   GET /healthz  200 "ok": the process is up
///   GET /readyz   200 "ready", or 503 with the reasons (broker socket not bound, database
///                 unreachable and why)
/// Anything else is 404 (405 for another method). A bind failure fails the actor.
http_server_actor::behavior_type
http_server(http_server_actor::stateful_pointer<http_server_state> self, http_config cfg);

/// The supervisor's spec for the HTTP server (only used when http.listen is set).
child_spec http_server_spec(const config& cfg);

} // namespace scpipe
