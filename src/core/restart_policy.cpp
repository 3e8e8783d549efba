#include "core/restart_policy.hpp"

#include <algorithm>

namespace scpipe {

void restart_policy::forget_before(clock::time_point now) {
  while (!recent_.empty() && now - recent_.front().at >= settings_.window)
    recent_.pop_front();
}

size_t restart_policy::restarts_in_window(clock::time_point now) {
  forget_before(now);
  return recent_.size();
}

std::optional<std::chrono::milliseconds> restart_policy::on_failure(const std::string& child,
                                                                    clock::time_point now) {
  forget_before(now);
  if (recent_.size() >= settings_.max_restarts)
    return std::nullopt;
  auto earlier = std::count_if(recent_.begin(), recent_.end(),
                               [&](const restart& r) { return r.child == child; });
  auto delay = settings_.backoff_initial;
  for (long i = 0; i < earlier && delay < settings_.backoff_max; ++i)
    delay *= 2;
  recent_.push_back({now, child});
  return std::min(delay, settings_.backoff_max);
}

} // namespace scpipe
