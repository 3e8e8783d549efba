#include "core/publish_window.hpp"

#include <algorithm>

namespace scpipe {

void publish_window::schedule(entry& e, time_point due, send_reason reason) {
  schedule_.erase({e.due, e.order, e.message.id});
  e.due = due;
  e.reason = reason;
  schedule_.emplace(e.due, e.order, e.message.id);
}

void publish_window::remove(std::map<std::string, entry, std::less<>>::iterator it) {
  schedule_.erase({it->second.due, it->second.order, it->first});
  events_ -= it->second.message.events();
  entries_.erase(it);
}

void publish_window::add(outgoing_message message, time_point now) {
  auto id = message.id;
  events_ += message.events();
  entry e{std::move(message), 0, 0, send_reason::first, now, next_order_++};
  schedule_.emplace(e.due, e.order, id);
  entries_.emplace(std::move(id), std::move(e));
}

std::optional<send_order> publish_window::next_send(time_point now) {
  while (!schedule_.empty() && std::get<0>(*schedule_.begin()) <= now) {
    auto it = entries_.find(std::get<2>(*schedule_.begin()));
    auto& e = it->second;
    if (settings_.max_attempts > 0 && e.attempts >= settings_.max_attempts) {
      summary_.failed(e.message,
                      e.reason == send_reason::retry
                          ? "still answered retry after " + std::to_string(e.attempts) + " attempts"
                          : "no reply after " + std::to_string(e.attempts) + " attempts");
      remove(it);
      continue;
    }
    return send_order{&e.message, e.attempts + 1, e.reason, e.due};
  }
  return std::nullopt;
}

void publish_window::sent(std::string_view id, time_point now) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return;
  auto& e = it->second;
  if (++e.attempts == 1)
    summary_.sent(e.message);
  else
    summary_.resent();
  schedule(e, now + settings_.reply_timeout, send_reason::timeout);
}

std::optional<publish_window::time_point> publish_window::next_due() const {
  if (schedule_.empty())
    return std::nullopt;
  return std::get<0>(*schedule_.begin());
}

reply_outcome publish_window::on_reply(std::string_view id, std::string_view body, time_point now,
                                       std::string* problem, reply_status* status) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return reply_outcome::unknown;
  auto& e = it->second;
  auto parsed = parse_reply(body);
  if (!parsed) {
    if (problem)
      *problem = "not a reply of docs/protocol.md: " + std::string{body.substr(0, 200)};
    summary_.failed(e.message, "unintelligible reply");
    remove(it);
    return reply_outcome::bad_reply;
  }
  const auto& r = *parsed;
  if (status)
    *status = r.status;
  if (r.status == reply_status::retry) {
    // Doubling from retry_initial, capped at retry_max (the shift is bounded to not overflow).
    auto doublings = std::min<size_t>(e.retries++, 30);
    auto delay = std::min(settings_.retry_max, settings_.retry_initial * (int64_t{1} << doublings));
    schedule(e, now + delay, send_reason::retry);
    return reply_outcome::retry;
  }
  summary_.answered(e.message, r);
  remove(it);
  return reply_outcome::final;
}

void publish_window::refuse(const outgoing_message& message, const std::string& reason) {
  summary_.sent(message);
  summary_.answered(message, {reply_status::rejected, 0, message.events(), {{-1, reason, {}}}, {}});
}

void publish_window::abandon(const std::string& reason) {
  while (!entries_.empty()) {
    auto it = entries_.begin();
    if (it->second.attempts > 0)
      summary_.failed(it->second.message, reason);
    remove(it);
  }
}

} // namespace scpipe
