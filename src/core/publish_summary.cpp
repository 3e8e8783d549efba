#include "core/publish_summary.hpp"

#include <algorithm>

namespace scpipe {

void publish_summary::sent(const outgoing_message& message) {
  ++messages_sent;
  events_sent += message.events();
}

void publish_summary::resent() {
  ++resends;
}

void publish_summary::note(std::map<std::string, reason_stat>& reasons, const std::string& reason,
                           size_t events, size_t file, size_t line, size_t& overflow) {
  auto it = reasons.find(reason);
  if (it == reasons.end()) {
    if (reasons.size() >= max_reasons) {
      overflow += events;
      return;
    }
    auto order = reasons.size();
    it = reasons.emplace(reason, reason_stat{{reason, 0, file, line}, order}).first;
  }
  it->second.count.events += events;
}

void publish_summary::answered(const outgoing_message& message, const parsed_reply& r) {
  auto events = message.events();
  if (r.reason == protocol::id_reused_reason) {
    ++reused_messages;
    reused_events += events;
    if (reused_ids.size() < max_listed_ids)
      reused_ids.push_back(message.id);
    return;
  }
  size_t rejected = 0;
  switch (r.status) {
  case reply_status::rejected:
    // "Nothing usable": every event of the message is rejected, whatever the counts say.
    ++rejected_messages;
    rejected = events;
    break;
  case reply_status::duplicate:
    ++duplicate_messages;
    duplicate_events += events;
    accepted_events += static_cast<size_t>(r.accepted);
    rejected = static_cast<size_t>(r.rejected);
    break;
  default:
    accepted_events += static_cast<size_t>(r.accepted);
    rejected = static_cast<size_t>(r.rejected);
    break;
  }
  rejected_events += rejected;
  size_t listed = 0;
  for (const auto& e : r.errors) {
    if (e.index < 0) {
      // The payload as a whole: every event still unaccounted for shares this reason.
      auto whole = rejected > listed ? rejected - listed : 0;
      note(rejections_, e.reason, whole, message.file,
           message.lines.empty() ? 0 : message.lines.front(), other_reason_events);
      listed += whole;
      continue;
    }
    auto index = static_cast<size_t>(e.index);
    note(rejections_, e.reason, 1, message.file, index < events ? message.lines[index] : 0,
         other_reason_events);
    ++listed;
  }
  if (rejected > listed) {
    unlisted_rejections += rejected - listed;
    if (r.status == reply_status::duplicate)
      unlisted_duplicate_rejections += rejected - listed;
  }
}

void publish_summary::failed(const outgoing_message& message, const std::string& reason) {
  ++failed_messages;
  failed_events += message.events();
  note(failures_, reason, message.events(), message.file,
       message.lines.empty() ? 0 : message.lines.front(), other_failure_events_);
}

std::vector<reason_count>
publish_summary::sorted(const std::map<std::string, reason_stat>& reasons) {
  std::vector<const reason_stat*> all;
  for (const auto& [_, stat] : reasons)
    all.push_back(&stat);
  std::sort(all.begin(), all.end(), [](const reason_stat* a, const reason_stat* b) {
    return a->count.events != b->count.events ? a->count.events > b->count.events
                                              : a->order < b->order;
  });
  std::vector<reason_count> out;
  for (const auto* stat : all)
    out.push_back(stat->count);
  return out;
}

std::vector<reason_count> publish_summary::rejection_reasons() const {
  return sorted(rejections_);
}

std::vector<reason_count> publish_summary::failure_reasons() const {
  return sorted(failures_);
}

std::string reason_place(const reason_count& r, const std::vector<std::string>& files) {
  if (r.file == 0 || r.file > files.size() || r.line == 0)
    return {};
  return files[r.file - 1] + ":" + std::to_string(r.line);
}

std::string publish_summary::format(const std::vector<std::string>& files, size_t listed) const {
  std::string out =
      "published " + std::to_string(events_sent) + " events in " + std::to_string(messages_sent)
      + " messages: accepted " + std::to_string(accepted_events) + ", rejected "
      + std::to_string(rejected_events) + ", duplicate messages "
      + std::to_string(duplicate_messages) + " (events " + std::to_string(duplicate_events)
      + "), resent " + std::to_string(resends)
      + (failed_messages > 0 ? ", no final reply " + std::to_string(failed_messages)
                                   + " messages (events " + std::to_string(failed_events) + ")"
                             : std::string{})
      + (reused_messages > 0 ? ", id reused " + std::to_string(reused_messages)
                                   + " messages (events " + std::to_string(reused_events) + ")"
                             : std::string{})
      + "\n";
  auto reasons = rejection_reasons();
  if (!reasons.empty() || unlisted_rejections > 0 || other_reason_events > 0)
    out += "rejected events by reason:\n";
  size_t shown = 0;
  size_t hidden_events = 0;
  for (const auto& r : reasons) {
    if (shown == listed) {
      hidden_events += r.events;
      continue;
    }
    ++shown;
    auto place = reason_place(r, files);
    out += "  " + std::to_string(r.events) + "  " + r.reason
           + (place.empty() ? "" : " (first at " + place + ")") + "\n";
  }
  if (reasons.size() > shown)
    out += "  " + std::to_string(hidden_events) + "  ... " + std::to_string(reasons.size() - shown)
           + " more reasons\n";
  if (other_reason_events > 0)
    out += "  " + std::to_string(other_reason_events) + "  ... reasons past the first "
           + std::to_string(max_reasons) + " distinct ones\n";
  if (auto fresh = unlisted_rejections - unlisted_duplicate_rejections; fresh > 0)
    out += "  " + std::to_string(fresh) + "  (reason not listed in the replies)\n";
  if (unlisted_duplicate_rejections > 0)
    out += "  " + std::to_string(unlisted_duplicate_rejections)
           + "  (rejected when first sent; a duplicate reply does not repeat the reasons)\n";
  return out;
}

} // namespace scpipe
