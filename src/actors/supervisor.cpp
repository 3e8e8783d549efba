#include "actors/supervisor.hpp"

#include "actors/error.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace scpipe {

namespace {

using self_pointer = supervisor_actor::stateful_pointer<supervisor_state>;

constexpr const char* component = "supervisor";

/// Whether a child's exit reason means it stopped because it was asked to, not a failure.
bool asked_to_stop(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

void start_child(self_pointer self, size_t index) {
  auto& st = self->state;
  auto& spec = st.children[index];
  auto child = spec.spawn(self->home_system());
  self->monitor(child);
  st.running[index] = child;
  log::info(component, "child started", {{"child", spec.name}, {"actor_id", child.id()}});
}

/// Stops the last still-running child; once none is left, quits with the recorded reason.
void stop_next(self_pointer self) {
  auto& st = self->state;
  for (auto i = st.running.size(); i-- > 0;) {
    if (!st.running[i])
      continue;
    ++st.stop_step;
    log::info(component, "stopping child", {{"child", st.children[i].name}});
    self->send_exit(st.running[i], caf::exit_reason::user_shutdown);
    if (st.children[i].interrupt)
      st.children[i].interrupt();
    self->delayed_send(self, st.settings.stop_timeout, stop_timeout_atom::value, st.stop_step);
    return;
  }
  if (st.quit_reason)
    log::error(component, "supervisor stopped after a failure",
               {{"reason", render(st.quit_reason)}});
  else
    log::info(component, "all children stopped");
  self->quit(st.quit_reason);
}

void begin_stop(self_pointer self, caf::error reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  st.quit_reason = std::move(reason);
  stop_next(self);
}

void on_child_down(self_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  size_t index = 0;
  while (index < st.running.size() && st.running[index].address() != msg.source)
    ++index;
  if (index == st.running.size())
    return; // a child we already replaced or gave up on
  st.running[index] = caf::actor{};
  const auto& name = st.children[index].name;
  if (st.stopping) {
    log::info(component, "child stopped", {{"child", name}, {"reason", render(msg.reason)}});
    stop_next(self);
    return;
  }
  auto delay = st.policy.on_failure(name, self->clock().now());
  if (!delay) {
    auto why = "child " + name + " failed (" + render(msg.reason) + ") after "
               + std::to_string(st.settings.restart.max_restarts) + " restarts within "
               + std::to_string(st.settings.restart.window.count()) + " s";
    log::error(component, "restart intensity exceeded; giving up",
               {{"child", name}, {"reason", render(msg.reason)}});
    begin_stop(self, make_error(ec::restart_intensity_exceeded, std::move(why)));
    return;
  }
  log::warn(component,
            asked_to_stop(msg.reason) ? "child exited unexpectedly; restarting"
                                      : "child failed; restarting",
            {{"child", name},
             {"reason", render(msg.reason)},
             {"delay_ms", delay->count()},
             {"restarts_in_window", st.policy.restarts_in_window(self->clock().now())}});
  metrics::global()
      .get_counter("scpipe_supervisor_restarts_total", "Actors restarted after they failed.",
                   {{"child", name}})
      .inc();
  self->delayed_send(self, *delay, restart_atom::value, name);
}

} // namespace

supervisor_actor::behavior_type supervisor(self_pointer self, supervisor_settings settings,
                                           std::vector<child_spec> children) {
  auto& st = self->state;
  st.settings = settings;
  st.policy = restart_policy{settings.restart};
  st.children = std::move(children);
  st.running.resize(st.children.size());
  self->set_down_handler([=](caf::down_msg& msg) { on_child_down(self, msg); });
  // An exit message (e.g. the actor system shutting down) stops the children in order too.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    begin_stop(self, asked_to_stop(msg.reason) ? caf::error{} : msg.reason);
  });
  for (size_t i = 0; i < st.children.size(); ++i)
    start_child(self, i);
  if (st.children.empty())
    log::info(component, "supervisor started without children");
  return {
      [=](stop_atom) {
        log::info(component, "stop requested; stopping children in reverse start order");
        begin_stop(self, caf::error{});
      },
      [=](restart_atom, const std::string& name) {
        auto& st = self->state;
        if (st.stopping)
          return;
        for (size_t i = 0; i < st.children.size(); ++i)
          if (st.children[i].name == name && !st.running[i])
            start_child(self, i);
      },
      [=](stop_timeout_atom, uint64_t step) {
        auto& st = self->state;
        if (!st.stopping || step != st.stop_step)
          return; // that step finished in time
        for (auto i = st.running.size(); i-- > 0;) {
          if (!st.running[i])
            continue;
          log::error(component, "child did not stop in time; killing it",
                     {{"child", st.children[i].name},
                      {"stop_timeout_ms", st.settings.stop_timeout.count()}});
          if (!st.quit_reason)
            st.quit_reason = make_error(ec::stop_timeout,
                                        "child " + st.children[i].name + " did not stop in time");
          // A detached child blocked in I/O ignores the kill until it returns: unblock it again
          // (the first interrupt may have come before its blocking call started).
          if (st.children[i].interrupt)
            st.children[i].interrupt();
          self->send_exit(st.running[i], caf::exit_reason::kill);
          return;
        }
      },
  };
}

} // namespace scpipe
