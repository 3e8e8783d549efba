#include "core/event_feed.hpp"

#include "core/hex.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

#include <algorithm>

namespace scpipe {

namespace {

void append_json_string(std::string& out, std::string_view text) {
  out += boost::json::serialize(boost::json::string_view{text.data(), text.size()});
}

} // namespace

void append_feed_events(std::string& out, const batch_message& m,
                        const std::vector<event_rejection>& refused) {
  std::vector<int64_t> skip;
  for (const auto& r : refused)
    skip.push_back(r.index);
  std::sort(skip.begin(), skip.end());
  const auto id = to_hex(m.id);
  for (const auto& [index, line] : rows_with_index(m.content)) {
    if (std::binary_search(skip.begin(), skip.end(), index))
      continue;
    auto row = parse_event_row(line);
    out += "{\"message_id\":\"" + id + "\",\"index\":" + std::to_string(index)
           + ",\"user_id\":" + std::to_string(row.user_id) + ",\"platform\":";
    if (row.platform)
      append_json_string(out, *row.platform);
    else
      out += "null";
    out += ",\"event_ts\":";
    append_json_string(out, row.event_ts);
    out += ",\"event_type\":";
    append_json_string(out, row.event_type);
    out += row.first_event ? ",\"first_event\":true}\n" : ",\"first_event\":false}\n";
  }
}

} // namespace scpipe
