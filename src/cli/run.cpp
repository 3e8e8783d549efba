#include "cli/run.hpp"

#include "actors/error.hpp"
#include "actors/etl_scheduler.hpp"
#include "actors/event_stream.hpp"
#include "actors/http_server.hpp"
#include "actors/analytics_keeper.hpp"
#include "actors/partition_keeper.hpp"
#include "actors/stream_metrics.hpp"
#include "actors/supervisor.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/version.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <atomic>
#include <csignal>
#include <cstring>
#include <iostream>
#include <malloc.h>
#include <thread>

namespace scpipe::cli {

namespace {

constexpr const char* component = "service";

supervisor_settings supervisor_settings_of(const config& cfg) {
  supervisor_settings out;
  const auto& s = cfg.supervisor;
  out.restart.backoff_initial = std::chrono::milliseconds{s.restart_backoff_initial_ms};
  out.restart.backoff_max = std::chrono::milliseconds{s.restart_backoff_max_ms};
  out.restart.max_restarts = static_cast<size_t>(s.max_restarts);
  out.restart.window = std::chrono::seconds{s.restart_window_s};
  out.stop_timeout = std::chrono::seconds{s.stop_timeout_s};
  return out;
}

bool clean_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

} // namespace

std::vector<child_spec> service_children(const config& cfg,
                                         std::shared_ptr<const curve_server_keys> curve) {
  // In dependency order; stopped in reverse: intake first, the ETL, then the HTTP endpoint last
  // (it reports health while the rest starts and stops).
  std::vector<child_spec> children;
  if (!cfg.http.listen.empty())
    children.push_back(http_server_spec(cfg));
  auto known = std::make_shared<known_users>(); // the scheduler loads it, the writers read it
  children.push_back(etl_scheduler_spec(cfg, known));
  children.push_back(partition_keeper_spec(cfg));
  if (auto keeper = analytics_keeper_spec(cfg))
    children.push_back(std::move(*keeper));
  for (auto& spec : event_stream_specs(cfg, std::move(curve), known))
    children.push_back(std::move(spec));
  return children;
}

int run_service(const config& cfg, std::vector<child_spec> children) {
  // Block the stop signals before CAF starts its threads, so they all inherit the mask and only
  // the watcher thread below receives them (with sigtimedwait), outside any signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  boost::json::object settings;
  for (auto& [key, value] : describe(cfg))
    settings[key] = std::move(value);
  log::info(component, "starting",
            {{"version", version()}, {"config", settings}, {"children", children.size()}});
  metrics::global()
      .get_gauge("scpipe_build_info", "Always 1; the version of scpipe that runs, as a label.",
                 {{"version", std::string{version()}}})
      .set(1);

  caf::actor_system_config sys_cfg;
  add_error_category(sys_cfg);
  // The hot actors run detached (own threads, blocking on their mailboxes); the shared pool
  // only runs the supervisor. One worker, so no idle worker polls for work next to PostgreSQL.
  sys_cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{sys_cfg};
  auto sup = sys.spawn(supervisor, supervisor_settings_of(cfg), std::move(children));

  std::atomic<bool> done{false};
  std::thread watcher{[&] {
    int received = 0;
    const timespec tick{0, 100'000'000};
    while (!done) {
      siginfo_t info{};
      auto sig = sigtimedwait(&stop_signals, &info, &tick);
      if (sig < 0)
        continue;
      if (++received == 1) {
        log::info(component, "signal received; stopping gracefully", {{"signal", strsignal(sig)}});
        caf::anon_send(sup, stop_atom::value);
      } else {
        log::error(component, "second signal while stopping; exiting at once",
                   {{"signal", strsignal(sig)}});
        std::_Exit(exit_failure);
      }
    }
  }};

  caf::error reason;
  {
    caf::scoped_actor self{sys};
    self->monitor(sup);
    self->receive([&](caf::down_msg& msg) { reason = msg.reason; });
  }
  done = true;
  watcher.join();
  const auto& m = stream_metrics::get();
  boost::json::object totals{{"requests", m.requests.value()},
                             {"events_accepted", m.events_accepted.value()},
                             {"events_rejected", m.events_rejected.value()},
                             {"batches_committed", m.batches_committed.value()}};
  if (clean_exit(reason)) {
    log::info(component, "stopped", {{"totals", totals}});
    return exit_success;
  }
  // A failed stop may leave a detached actor blocked in I/O, and ~actor_system would wait for
  // it: the process ends here instead. Nothing is lost: open transactions roll back.
  log::error(component, "stopped after a failure",
             {{"reason", render(reason)}, {"totals", totals}});
  std::_Exit(exit_failure);
}

int run_command(const invocation& inv) {
  // Batches are buffers of hundreds of KiB, allocated and freed all the time: served from the
  // heap (up to 32 MiB each) and kept there, instead of fresh mmap()s that page-fault on every
  // use. Memory stays bounded by the in-flight limits either way.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  std::shared_ptr<const curve_server_keys> curve;
  if (const auto& b = inv.cfg.broker; !b.curve_secret_key_file.empty()) {
    auto keys = load_curve_server_keys(b.curve_secret_key_file, b.curve_allowed_keys_file);
    if (auto* error = std::get_if<std::string>(&keys)) {
      std::cerr << "scpipe run: " << *error << '\n';
      return exit_usage;
    }
    curve = std::make_shared<curve_server_keys>(std::get<curve_server_keys>(std::move(keys)));
    // Keys never reach the logs, not even the public ones (they identify producers).
    log::add_secret(curve->server.secret_key);
    log::add_secret(curve->server.public_key);
    for (const auto& key : curve->allowed_clients)
      log::add_secret(key);
  }
  return run_service(inv.cfg, service_children(inv.cfg, std::move(curve)));
}

} // namespace scpipe::cli
