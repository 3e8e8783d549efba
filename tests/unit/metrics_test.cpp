#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace scpipe::metrics;

TEST(metrics, counter_counts_every_increment_from_several_threads) {
  registry reg;
  auto& c = reg.get_counter("scpipe_test_total", "Test.");
  auto& g = reg.get_gauge("scpipe_test_gauge", "Test.");
  auto& h = reg.get_histogram("scpipe_test_seconds", "Test.", {1, 2});
  constexpr int threads = 8;
  constexpr int per_thread = 100000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        g.add(1);
        g.add(-1);
        h.observe(1.5);
      }
    });
  for (auto& t : pool)
    t.join();
  EXPECT_EQ(c.value(), uint64_t{threads} * per_thread);
  EXPECT_EQ(g.value(), 0);
  EXPECT_EQ(h.count(), uint64_t{threads} * per_thread);
  EXPECT_DOUBLE_EQ(h.sum(), 1.5 * threads * per_thread);
}

TEST(metrics, registering_from_several_threads_yields_one_instance) {
  registry reg;
  std::vector<counter*> seen(8);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < seen.size(); ++t)
    pool.emplace_back([&, t] {
      auto& c = reg.get_counter("scpipe_racy_total", "Test.", {{"k", "v"}});
      c.inc();
      seen[t] = &c;
    });
  for (auto& t : pool)
    t.join();
  for (auto* c : seen)
    EXPECT_EQ(c, seen.front());
  EXPECT_EQ(seen.front()->value(), 8u);
}

TEST(metrics, same_name_and_labels_return_the_same_instance) {
  registry reg;
  auto& a = reg.get_counter("scpipe_events_total", "Events.", {{"status", "ok"}});
  a.inc(5);
  // A restarted actor registers again and keeps counting.
  auto& b = reg.get_counter("scpipe_events_total", "Events.", {{"status", "ok"}});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(b.value(), 5u);
  auto& other = reg.get_counter("scpipe_events_total", "Events.", {{"status", "rejected"}});
  EXPECT_NE(&a, &other);
  // Label order does not make another series.
  auto& x = reg.get_gauge("scpipe_g", "G.", {{"a", "1"}, {"b", "2"}});
  auto& y = reg.get_gauge("scpipe_g", "G.", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(&x, &y);
  auto& h1 = reg.get_histogram("scpipe_h", "H.", {1, 2});
  auto& h2 = reg.get_histogram("scpipe_h", "H.", {1, 2});
  EXPECT_EQ(&h1, &h2);
}

TEST(metrics, references_stay_valid_while_many_series_are_added) {
  registry reg;
  auto& first = reg.get_counter("scpipe_first_total", "First.");
  first.inc();
  for (int i = 0; i < 1000; ++i)
    reg.get_counter("scpipe_many_total", "Many.", {{"i", std::to_string(i)}}).inc();
  for (int i = 0; i < 100; ++i)
    reg.get_gauge("scpipe_family_" + std::to_string(i), "Family.").set(i);
  first.inc();
  EXPECT_EQ(reg.get_counter("scpipe_first_total", "First.").value(), 2u);
}

TEST(metrics, histogram_buckets_are_cumulative_with_sum_and_count) {
  histogram h{{0.1, 1, 10}};
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0, 100.0})
    h.observe(v);
  // le is inclusive: 0.1 counts in the 0.1 bucket, 1.0 in the 1 bucket.
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{2, 4, 5, 7}));
  EXPECT_EQ(h.count(), 7u);
  EXPECT_DOUBLE_EQ(h.sum(), 156.65);
}

TEST(metrics, histogram_counts_nan_in_the_inf_bucket_only) {
  histogram h{{1}};
  h.observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(h.sum()));
}

TEST(metrics, histogram_bounds_must_increase_and_a_trailing_inf_is_implicit) {
  EXPECT_THROW(histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(histogram({std::numeric_limits<double>::quiet_NaN()}), std::invalid_argument);
  histogram h{{1, std::numeric_limits<double>::infinity()}};
  EXPECT_EQ(h.upper_bounds(), std::vector<double>{1});
  histogram none{{}};
  none.observe(3);
  EXPECT_EQ(none.cumulative_counts(), std::vector<uint64_t>{1});
}

TEST(metrics, render_is_the_exact_text_exposition_format) {
  registry reg;
  reg.get_counter("scpipe_events_total", "Events received.", {{"status", "ok"}}).inc(3);
  reg.get_gauge("scpipe_inflight_messages", "Messages read, not yet answered.").set(-2);
  reg.get_counter("scpipe_events_total", "ignored: the first help stays", {{"status", "bad"}});
  auto& h = reg.get_histogram("scpipe_commit_seconds", "Commit time.", {0.005, 0.5, 1},
                              {{"writer", "1"}});
  h.observe(0.001);
  h.observe(0.75);
  h.observe(2);
  EXPECT_EQ(reg.render(), "# HELP scpipe_events_total Events received.\n"
                          "# TYPE scpipe_events_total counter\n"
                          "scpipe_events_total{status=\"ok\"} 3\n"
                          "scpipe_events_total{status=\"bad\"} 0\n"
                          "# HELP scpipe_inflight_messages Messages read, not yet answered.\n"
                          "# TYPE scpipe_inflight_messages gauge\n"
                          "scpipe_inflight_messages -2\n"
                          "# HELP scpipe_commit_seconds Commit time.\n"
                          "# TYPE scpipe_commit_seconds histogram\n"
                          "scpipe_commit_seconds_bucket{writer=\"1\",le=\"0.005\"} 1\n"
                          "scpipe_commit_seconds_bucket{writer=\"1\",le=\"0.5\"} 1\n"
                          "scpipe_commit_seconds_bucket{writer=\"1\",le=\"1\"} 2\n"
                          "scpipe_commit_seconds_bucket{writer=\"1\",le=\"+Inf\"} 3\n"
                          "scpipe_commit_seconds_sum{writer=\"1\"} 2.751\n"
                          "scpipe_commit_seconds_count{writer=\"1\"} 3\n");
}

TEST(metrics, render_escapes_label_values_and_help) {
  registry reg;
  reg.get_counter("scpipe_odd_total", "Back\\slash and\nnewline \"quoted\".",
                  {{"path", "C:\\dir\n\"x\""}})
      .inc();
  EXPECT_EQ(reg.render(), "# HELP scpipe_odd_total Back\\\\slash and\\nnewline \"quoted\".\n"
                          "# TYPE scpipe_odd_total counter\n"
                          "scpipe_odd_total{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n");
}

TEST(metrics, render_sorts_labels_by_name) {
  registry reg;
  reg.get_gauge("scpipe_g", "G.", {{"b", "2"}, {"a", "1"}}).set(7);
  EXPECT_EQ(reg.render(),
            "# HELP scpipe_g G.\n# TYPE scpipe_g gauge\nscpipe_g{a=\"1\",b=\"2\"} 7\n");
}

TEST(metrics, render_of_an_empty_registry_is_empty) {
  EXPECT_EQ(registry{}.render(), "");
}

TEST(metrics, same_name_with_another_type_is_a_logic_error) {
  registry reg;
  reg.get_counter("scpipe_x", "X.");
  EXPECT_THROW(reg.get_gauge("scpipe_x", "X."), std::logic_error);
  EXPECT_THROW(reg.get_histogram("scpipe_x", "X.", {1}), std::logic_error);
  reg.get_histogram("scpipe_h", "H.", {1, 2});
  EXPECT_THROW(reg.get_histogram("scpipe_h", "H.", {1, 3}), std::logic_error);
  // A name another family's samples already use.
  EXPECT_THROW(reg.get_counter("scpipe_h_count", "C."), std::logic_error);
  reg.get_counter("scpipe_y_sum", "Y.");
  EXPECT_THROW(reg.get_histogram("scpipe_y", "Y.", {1}), std::logic_error);
}

TEST(metrics, invalid_names_are_rejected) {
  registry reg;
  EXPECT_THROW(reg.get_counter("", "E."), std::invalid_argument);
  EXPECT_THROW(reg.get_counter("1abc", "E."), std::invalid_argument);
  EXPECT_THROW(reg.get_counter("a-b", "E."), std::invalid_argument);
  EXPECT_THROW(reg.get_counter("scpipe_ok", "E.", {{"bad-label", "v"}}), std::invalid_argument);
  EXPECT_THROW(reg.get_counter("scpipe_ok", "E.", {{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(reg.get_counter("scpipe_ok", "E.", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  EXPECT_THROW(reg.get_histogram("scpipe_hh", "E.", {1}, {{"le", "1"}}), std::invalid_argument);
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_TRUE(valid_metric_name(":colon"));
  EXPECT_FALSE(valid_metric_name("é"));
  EXPECT_TRUE(valid_label_name("_x9"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("9a"));
  // Nothing half-registered after a failure.
  EXPECT_EQ(reg.render(), "");
}

TEST(metrics, bucket_sets_increase) {
  auto lat = latency_buckets_seconds();
  EXPECT_EQ(lat.front(), 0.0005);
  EXPECT_EQ(lat.back(), 10);
  EXPECT_NO_THROW(histogram{lat});
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  auto sizes = size_buckets();
  EXPECT_EQ(sizes.size(), 13u);
  EXPECT_EQ(sizes.back(), 16777216);
  EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
}

TEST(metrics, global_is_one_registry) {
  EXPECT_EQ(&global(), &global());
}
