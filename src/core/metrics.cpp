#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace scpipe::metrics {

namespace {

// -- text exposition helpers -----------------------------------------------------------------

/// A float as Prometheus writes it: shortest round-trip form, +Inf, -Inf, NaN.
void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  (void)ec; // 64 bytes hold any double
  out.append(buf, end);
}

template <class Int> void append_int(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

/// HELP text escapes backslash and line feed.
void append_help(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

/// Label values also escape the double quote.
void append_label_value(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

/// `{a="1",b="2"}` with an optional extra `le` label last; nothing when there are no labels.
void append_labels(std::string& out, const labels& l, const std::string* le = nullptr) {
  if (l.empty() && !le)
    return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : l) {
    if (!first)
      out += ',';
    first = false;
    out += name;
    out += "=\"";
    append_label_value(out, value);
    out += '"';
  }
  if (le) {
    if (!first)
      out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Checks label names and makes the series key: sorted by name, no name twice.
labels normalized(labels l, bool histogram) {
  for (const auto& [name, value] : l) {
    if (!valid_label_name(name))
      throw std::invalid_argument("metrics: invalid label name \"" + name + "\"");
    if (histogram && name == "le")
      throw std::invalid_argument("metrics: a histogram may not have a label named \"le\"");
  }
  std::stable_sort(l.begin(), l.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < l.size(); ++i)
    if (l[i].first == l[i - 1].first)
      throw std::invalid_argument("metrics: label \"" + l[i].first + "\" given twice");
  return l;
}

/// The sample names a family writes: its name, or name_bucket/_sum/_count for a histogram.
std::vector<std::string> sample_names(std::string_view name, bool histogram) {
  std::string n{name};
  if (!histogram)
    return {n};
  return {n + "_bucket", n + "_sum", n + "_count"};
}

} // namespace

const char* to_string(metric_type t) noexcept {
  switch (t) {
  case metric_type::counter:
    return "counter";
  case metric_type::gauge:
    return "gauge";
  case metric_type::histogram:
    break;
  }
  return "histogram";
}

// -- histogram -------------------------------------------------------------------------------

histogram::histogram(std::vector<double> upper_bounds) : bounds_{std::move(upper_bounds)} {
  if (!bounds_.empty() && std::isinf(bounds_.back()) && bounds_.back() > 0)
    bounds_.pop_back();
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (std::isnan(bounds_[i]))
      throw std::invalid_argument("metrics: a histogram upper bound is NaN");
    if (i > 0 && !(bounds_[i - 1] < bounds_[i]))
      throw std::invalid_argument("metrics: histogram upper bounds must be strictly increasing");
  }
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  size_t i = bounds_.size(); // +Inf, also for NaN
  if (!std::isnan(v))
    i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> histogram::cumulative_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

uint64_t histogram::count() const noexcept {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i)
    total += buckets_[i].load(std::memory_order_relaxed);
  return total;
}

// -- registry --------------------------------------------------------------------------------

registry::series& registry::find_or_add(std::string_view name, std::string_view help, kind type,
                                        const std::vector<double>* bounds, labels l) {
  if (!valid_metric_name(name))
    throw std::invalid_argument("metrics: invalid metric name \"" + std::string{name} + "\"");
  auto key = normalized(std::move(l), type == kind::histogram);

  family* fam = nullptr;
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    fam = &families_[it->second];
    if (fam->type != type)
      throw std::logic_error("metrics: \"" + fam->name + "\" is a " + to_string(fam->type)
                             + ", not a " + to_string(type));
    if (bounds && *bounds != fam->bounds)
      throw std::logic_error("metrics: histogram \"" + fam->name
                             + "\" registered again with other upper bounds");
  } else {
    // A new family must not write a sample name another one writes (counter "x_count" next
    // to histogram "x").
    auto names = sample_names(name, type == kind::histogram);
    for (const auto& s : names)
      if (samples_.count(s))
        throw std::logic_error("metrics: \"" + std::string{name} + "\" would write samples named \""
                               + s + "\", which metric \"" + samples_.at(s) + "\" writes");
    auto& f = families_.emplace_back();
    f.name = std::string{name};
    f.help = std::string{help};
    f.type = type;
    if (bounds)
      f.bounds = *bounds;
    by_name_.emplace(f.name, families_.size() - 1);
    for (auto& s : names)
      samples_.emplace(std::move(s), f.name);
    fam = &f;
  }

  if (auto it = fam->index.find(key); it != fam->index.end())
    return fam->all[it->second];
  metric m;
  switch (type) {
  case kind::counter:
    m = std::make_unique<counter>();
    break;
  case kind::gauge:
    m = std::make_unique<gauge>();
    break;
  case kind::histogram:
    m = std::make_unique<histogram>(fam->bounds);
    break;
  }
  fam->index.emplace(key, fam->all.size());
  return fam->all.emplace_back(series{std::move(key), std::move(m)});
}

counter& registry::get_counter(std::string_view name, std::string_view help, labels l) {
  std::lock_guard guard{mutex_};
  return *std::get<std::unique_ptr<counter>>(
      find_or_add(name, help, kind::counter, nullptr, std::move(l)).m);
}

gauge& registry::get_gauge(std::string_view name, std::string_view help, labels l) {
  std::lock_guard guard{mutex_};
  return *std::get<std::unique_ptr<gauge>>(
      find_or_add(name, help, kind::gauge, nullptr, std::move(l)).m);
}

histogram& registry::get_histogram(std::string_view name, std::string_view help,
                                   std::vector<double> upper_bounds, labels l) {
  // Normalize (drop a trailing +Inf) and validate the bounds the way a histogram does, so a
  // family compares like with like.
  histogram probe{std::move(upper_bounds)};
  std::lock_guard guard{mutex_};
  return *std::get<std::unique_ptr<histogram>>(
      find_or_add(name, help, kind::histogram, &probe.upper_bounds(), std::move(l)).m);
}

std::string registry::render() const {
  std::lock_guard guard{mutex_};
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_help(out, f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += to_string(f.type);
    out += '\n';
    for (const auto& s : f.all) {
      if (const auto* c = std::get_if<std::unique_ptr<counter>>(&s.m)) {
        out += f.name;
        append_labels(out, s.l);
        out += ' ';
        append_int(out, (*c)->value());
        out += '\n';
      } else if (const auto* g = std::get_if<std::unique_ptr<gauge>>(&s.m)) {
        out += f.name;
        append_labels(out, s.l);
        out += ' ';
        append_int(out, (*g)->value());
        out += '\n';
      } else {
        const auto& h = *std::get<std::unique_ptr<histogram>>(s.m);
        // One snapshot of the buckets, so _count always equals the +Inf bucket.
        auto counts = h.cumulative_counts();
        for (size_t i = 0; i < counts.size(); ++i) {
          std::string le;
          if (i < h.upper_bounds().size())
            append_double(le, h.upper_bounds()[i]);
          else
            le = "+Inf";
          out += f.name;
          out += "_bucket";
          append_labels(out, s.l, &le);
          out += ' ';
          append_int(out, counts[i]);
          out += '\n';
        }
        out += f.name;
        out += "_sum";
        append_labels(out, s.l);
        out += ' ';
        append_double(out, h.sum());
        out += '\n';
        out += f.name;
        out += "_count";
        append_labels(out, s.l);
        out += ' ';
        append_int(out, counts.back());
        out += '\n';
      }
    }
  }
  return out;
}

registry& global() {
  static registry instance;
  return instance;
}

// -- bucket sets -----------------------------------------------------------------------------

std::vector<double> latency_buckets_seconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, size_t count) {
  if (!(start > 0) || !(factor > 1))
    throw std::invalid_argument("metrics: exponential buckets need start > 0 and factor > 1");
  std::vector<double> out;
  out.reserve(count);
  double v = start;
  for (size_t i = 0; i < count; ++i, v *= factor)
    out.push_back(v);
  return out;
}

std::vector<double> size_buckets(double start, double factor, size_t count) {
  return exponential_buckets(start, factor, count);
}

// -- names -----------------------------------------------------------------------------------

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty())
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = is_letter(c) || c == '_' || c == ':' || (i > 0 && is_digit(c));
    if (!ok)
      return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__"))
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = is_letter(c) || c == '_' || (i > 0 && is_digit(c));
    if (!ok)
      return false;
  }
  return true;
}

} // namespace scpipe::metrics
