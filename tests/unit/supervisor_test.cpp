// The supervisor under CAF's deterministic test scheduler: time is advanced, never slept.

#include "actors/error.hpp"
#include "actors/supervisor.hpp"
#include "core/log.hpp"
#include "support/test_children.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include <memory>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

/// Records every spawn of every child, so tests see starts, restarts and their order.
struct spawn_log {
  std::vector<std::string> starts;
  std::vector<std::string> stops;
  std::map<std::string, caf::actor> current;
};

child_spec recorded(std::shared_ptr<spawn_log> rec, child_spec inner) {
  auto spawn = inner.spawn;
  auto name = inner.name;
  return {name, [=](caf::actor_system& sys) {
            auto a = spawn(sys);
            rec->starts.push_back(name);
            a->attach_functor([rec, name] { rec->stops.push_back(name); });
            rec->current[name] = a;
            return a;
          }};
}

class supervisor_test : public ::testing::Test {
protected:
  void SetUp() override {
    log::set_level(log::level::error); // keep test output readable
    cfg.set("scheduler.policy", caf::atom("testing"));
    add_error_category(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  void TearDown() override {
    sched->run();
    log::set_level(log::level::info);
  }

  supervisor_settings settings(size_t max_restarts = 3) {
    supervisor_settings s;
    s.restart = {100ms, 400ms, max_restarts, 60s};
    s.stop_timeout = 1s;
    return s;
  }

  /// Spawns a supervisor over flaky children a, b, c (never failing by themselves).
  supervisor_actor spawn_abc(supervisor_settings s) {
    std::vector<child_spec> children;
    for (auto name : {"a", "b", "c"})
      children.push_back(recorded(rec, test::flaky_spec(name, 0ms)));
    auto sup = sys->spawn(supervisor, s, std::move(children));
    sched->run();
    return sup;
  }

  void fail(const std::string& name) {
    caf::anon_send(rec->current.at(name), test::fail_atom::value);
    sched->run();
  }

  /// Advances the test clock and runs whatever became due.
  void advance(caf::timespan d) {
    sched->clock().advance_time(d);
    sched->run();
  }

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<spawn_log> rec = std::make_shared<spawn_log>();
};

} // namespace

TEST_F(supervisor_test, children_start_in_list_order) {
  auto sup = spawn_abc(settings());
  EXPECT_EQ(rec->starts, (std::vector<std::string>{"a", "b", "c"}));
  caf::anon_send(sup, stop_atom::value);
}

TEST_F(supervisor_test, failed_child_is_restarted_only_after_its_backoff) {
  auto sup = spawn_abc(settings());
  fail("b");
  EXPECT_EQ(rec->starts.size(), 3u) << "restarted before its backoff";
  advance(99ms);
  EXPECT_EQ(rec->starts.size(), 3u) << "restarted before its backoff";
  advance(1ms);
  EXPECT_EQ(rec->starts, (std::vector<std::string>{"a", "b", "c", "b"}));
  caf::anon_send(sup, stop_atom::value);
}

TEST_F(supervisor_test, restart_delays_grow_exponentially_up_to_the_maximum) {
  auto sup = spawn_abc(settings(10));
  std::vector<caf::timespan> delays;
  for (int i = 0; i < 4; ++i) {
    fail("a");
    auto before = rec->starts.size();
    caf::timespan waited{0};
    while (rec->starts.size() == before) {
      advance(10ms);
      waited += 10ms;
      ASSERT_LT(waited, 10s) << "never restarted";
    }
    delays.push_back(waited);
  }
  EXPECT_EQ(delays, (std::vector<caf::timespan>{100ms, 200ms, 400ms, 400ms}));
  caf::anon_send(sup, stop_atom::value);
}

TEST_F(supervisor_test, gives_up_past_the_restart_intensity_and_stops_the_rest_in_reverse) {
  caf::scoped_actor self{*sys};
  auto sup = spawn_abc(settings(2));
  self->monitor(sup);
  for (int i = 0; i < 2; ++i) {
    fail("c");
    advance(1s);
  }
  EXPECT_EQ(rec->starts.size(), 5u);
  fail("c"); // the third failure within the window is one too many
  sched->run();
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(std::chrono::seconds{0}) >>
                    [] { FAIL() << "supervisor still running"; });
  EXPECT_EQ(reason, make_error(ec::restart_intensity_exceeded));
  EXPECT_EQ(rec->starts.size(), 5u) << "restarted after giving up";
  EXPECT_EQ(rec->stops, (std::vector<std::string>{"c", "c", "c", "b", "a"}));
}

TEST_F(supervisor_test, stop_stops_children_in_reverse_start_order_then_quits_normally) {
  caf::scoped_actor self{*sys};
  std::vector<child_spec> children;
  auto order = std::make_shared<std::vector<std::string>>();
  for (std::string name : {"first", "second", "third"})
    children.push_back({name, [=](caf::actor_system& s) {
                          auto child = s.spawn(test::draining_child, name, 10ms);
                          child->attach_functor([=] { order->push_back(name); });
                          return child;
                        }});
  auto sup = sys->spawn(supervisor, settings(), std::move(children));
  sched->run();
  self->monitor(sup);
  caf::anon_send(sup, stop_atom::value);
  sched->run();
  for (int i = 0; i < 3; ++i)
    advance(10ms); // each child drains for 10 ms before the next is asked to stop
  EXPECT_EQ(*order, (std::vector<std::string>{"third", "second", "first"}));
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(std::chrono::seconds{0}) >>
                    [] { FAIL() << "supervisor still running"; });
  EXPECT_FALSE(reason) << render(reason);
}

TEST_F(supervisor_test, child_that_does_not_stop_in_time_is_killed) {
  caf::scoped_actor self{*sys};
  std::vector<child_spec> children{test::draining_spec("slow", 1h)};
  auto sup = sys->spawn(supervisor, settings(), std::move(children));
  sched->run();
  self->monitor(sup);
  caf::anon_send(sup, stop_atom::value);
  sched->run();
  advance(1s); // the stop timeout
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(std::chrono::seconds{0}) >>
                    [] { FAIL() << "supervisor still running"; });
  EXPECT_EQ(reason, make_error(ec::stop_timeout));
}
