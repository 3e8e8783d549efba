#include "core/restart_policy.hpp"

#include <gtest/gtest.h>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

restart_policy::settings settings(size_t max_restarts) {
  return {100ms, 1000ms, max_restarts, 60s};
}

} // namespace

TEST(restart_policy, delay_doubles_per_restart_of_the_same_child_up_to_the_maximum) {
  restart_policy policy{settings(100)};
  restart_policy::clock::time_point t{};
  std::vector<long> delays;
  for (int i = 0; i < 7; ++i)
    delays.push_back(policy.on_failure("writer", t + i * 1s)->count());
  EXPECT_EQ(delays, (std::vector<long>{100, 200, 400, 800, 1000, 1000, 1000}));
}

TEST(restart_policy, children_have_their_own_backoff) {
  restart_policy policy{settings(100)};
  restart_policy::clock::time_point t{};
  EXPECT_EQ(policy.on_failure("a", t), 100ms);
  EXPECT_EQ(policy.on_failure("a", t + 1s), 200ms);
  EXPECT_EQ(policy.on_failure("b", t + 2s), 100ms);
}

TEST(restart_policy, gives_up_on_the_failure_after_max_restarts_within_the_window) {
  restart_policy policy{settings(3)};
  restart_policy::clock::time_point t{};
  EXPECT_TRUE(policy.on_failure("a", t));
  EXPECT_TRUE(policy.on_failure("b", t + 1s));
  EXPECT_TRUE(policy.on_failure("a", t + 2s));
  EXPECT_FALSE(policy.on_failure("a", t + 3s));
}

TEST(restart_policy, restarts_older_than_the_window_are_forgotten) {
  restart_policy policy{settings(2)};
  restart_policy::clock::time_point t{};
  EXPECT_EQ(policy.on_failure("a", t), 100ms);
  EXPECT_EQ(policy.on_failure("a", t + 10s), 200ms);
  // A minute after both, the child starts again at the initial delay and the budget is full.
  EXPECT_EQ(policy.on_failure("a", t + 71s), 100ms);
  EXPECT_EQ(policy.restarts_in_window(t + 71s), 1u);
}

TEST(restart_policy, zero_max_restarts_gives_up_at_the_first_failure) {
  restart_policy policy{settings(0)};
  EXPECT_FALSE(policy.on_failure("a", restart_policy::clock::time_point{}));
}
