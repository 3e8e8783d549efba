#include "support/test_children.hpp"

#include "actors/error.hpp"
#include "core/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>

namespace scpipe::test {

caf::behavior flaky_child(caf::event_based_actor* self, std::string name,
                          std::chrono::milliseconds fail_after) {
  if (fail_after.count() > 0)
    self->delayed_send(self, fail_after, fail_atom::value);
  return {
      [=](fail_atom) {
        log::info("test_child", "failing on purpose", {{"child", name}});
        self->quit(caf::make_error(caf::sec::runtime_error, "injected failure of " + name));
      },
  };
}

caf::behavior draining_child(caf::event_based_actor* self, std::string name,
                             std::chrono::milliseconds drain) {
  self->set_exit_handler([=](caf::exit_msg& msg) {
    log::info("test_child", "draining", {{"child", name}});
    self->delayed_send(self, drain, stop_atom::value);
    auto reason = msg.reason;
    self->become([=](stop_atom) {
      log::info("test_child", "drained", {{"child", name}});
      self->quit(reason);
    });
  });
  return {
      [](stop_atom) {},
  };
}

child_spec flaky_spec(std::string name, std::chrono::milliseconds fail_after) {
  return {name, [=](caf::actor_system& sys) { return sys.spawn(flaky_child, name, fail_after); }};
}

child_spec draining_spec(std::string name, std::chrono::milliseconds drain) {
  return {name, [=](caf::actor_system& sys) { return sys.spawn(draining_child, name, drain); }};
}

} // namespace scpipe::test
