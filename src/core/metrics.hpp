#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

/// Process metrics: counters, gauges and histograms, rendered in the Prometheus text
/// exposition format 0.0.4 for the service's `/metrics`.
///
/// Updating a metric is lock-free (relaxed atomics), so any actor or thread may count on its
/// hot path; only registering a metric and rendering take the registry's mutex. Pure: no I/O,
/// no CAF.
///
///   registry ── family "scpipe_events_total" (counter, help) ── series {status="ok"}
///            │                                                └─ series {status="rejected"}
///            └─ family "scpipe_batch_seconds" (histogram, upper bounds) ── series {}
namespace scpipe::metrics {

/// A series' labels: (name, value) pairs. Order does not matter: a series is identified, and
/// rendered, by its labels sorted by name.
using labels = std::vector<std::pair<std::string, std::string>>;

// -- metric types ----------------------------------------------------------------------------

/// The Prometheus type of a metric family.
enum class metric_type { counter, gauge, histogram };

/// "counter", "gauge" or "histogram", as in a `# TYPE` line.
const char* to_string(metric_type t) noexcept;

/// A count that only goes up (events received, batches committed).
class counter {
public:
  counter() = default;
  counter(const counter&) = delete;
  counter& operator=(const counter&) = delete;

  /// Adds `n`.
  void inc(uint64_t n = 1) noexcept {
    value_.fetch_add(n, std::memory_order_relaxed);
  }

  /// The current count.
  uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> value_{0};
};

/// A value that goes up and down (messages in flight, busy writers).
class gauge {
public:
  gauge() = default;
  gauge(const gauge&) = delete;
  gauge& operator=(const gauge&) = delete;

  /// Replaces the value.
  void set(int64_t v) noexcept {
    value_.store(v, std::memory_order_relaxed);
  }

  /// Adds `delta` (negative to subtract).
  void add(int64_t delta) noexcept {
    value_.fetch_add(delta, std::memory_order_relaxed);
  }

  /// The current value.
  int64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<int64_t> value_{0};
};

/// A distribution over fixed buckets (latencies, batch sizes). Each observation lands in the
/// first bucket whose upper bound is >= the value, or in the implicit +Inf bucket; rendering
/// makes the counts cumulative, as Prometheus expects.
class histogram {
public:
  /// `upper_bounds` must be strictly increasing and free of NaN (a trailing +Inf is dropped:
  /// that bucket is always there). Throws std::invalid_argument otherwise.
  explicit histogram(std::vector<double> upper_bounds);
  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  /// Records one value. NaN counts in the +Inf bucket only (and makes the sum NaN).
  void observe(double v) noexcept;

  /// The finite upper bounds, increasing.
  const std::vector<double>& upper_bounds() const noexcept {
    return bounds_;
  }

  /// Observations <= each upper bound, then the total (the +Inf bucket): size bounds + 1.
  std::vector<uint64_t> cumulative_counts() const;

  /// Number of observations.
  uint64_t count() const noexcept;

  /// Sum of the observed values.
  double sum() const noexcept {
    return sum_.load(std::memory_order_relaxed);
  }

private:
  std::vector<double> bounds_;
  /// Per bucket, not cumulative; the last is +Inf.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0.0};
};

// -- the registry ----------------------------------------------------------------------------

/// Owns metrics by family (name, help, type) and series (labels), and renders them.
///
/// Getting a metric with a name and labels that exist returns the existing instance, so an
/// actor that restarts keeps counting where it left off. References stay valid for the
/// registry's lifetime. Getting a name with another type (or a histogram with other upper
/// bounds) throws std::logic_error; an invalid metric or label name throws
/// std::invalid_argument (also a logic_error).
class registry {
public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// The counter `name{l}`; `help` is kept from the family's first registration.
  counter& get_counter(std::string_view name, std::string_view help, labels l = {});

  /// The gauge `name{l}`.
  gauge& get_gauge(std::string_view name, std::string_view help, labels l = {});

  /// The histogram `name{l}`; every series of a family has the same upper bounds.
  histogram& get_histogram(std::string_view name, std::string_view help,
                           std::vector<double> upper_bounds, labels l = {});

  /// Every family in registration order (series in registration order within it), in the
  /// Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
  std::string render() const;

private:
  using kind = metric_type;
  using metric =
      std::variant<std::unique_ptr<counter>, std::unique_ptr<gauge>, std::unique_ptr<histogram>>;
  struct series {
    labels l;
    metric m;
  };
  struct family {
    std::string name;
    std::string help;
    kind type;
    std::vector<double> bounds; // histograms only
    std::deque<series> all;     // registration order
    std::map<labels, size_t> index;
  };

  /// The series `name{l}` of type `type`, created when new. Called with the mutex held.
  series& find_or_add(std::string_view name, std::string_view help, kind type,
                      const std::vector<double>* bounds, labels l);

  mutable std::mutex mutex_;
  std::deque<family> families_; // registration order
  std::map<std::string, size_t, std::less<>> by_name_;
  /// Sample name (`x`, or `x_bucket`, `x_sum`, `x_count`) -> the family writing it.
  std::map<std::string, std::string> samples_;
};

/// The process's registry, which `/metrics` renders.
registry& global();

// -- bucket sets -----------------------------------------------------------------------------

/// Upper bounds for latencies in seconds: 0.5 ms to 10 s, about three per decade.
std::vector<double> latency_buckets_seconds();

/// `count` upper bounds start, start * factor, start * factor^2, ... (start > 0, factor > 1).
std::vector<double> exponential_buckets(double start, double factor, size_t count);

/// Upper bounds for sizes (rows, bytes): 1, 4, 16, ... 4^12 = 16 Mi by default.
std::vector<double> size_buckets(double start = 1, double factor = 4, size_t count = 13);

// -- names -----------------------------------------------------------------------------------

/// Whether `name` is a valid Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name) noexcept;

/// Whether `name` is a valid Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with
/// the reserved `__`.
bool valid_label_name(std::string_view name) noexcept;

} // namespace scpipe::metrics
