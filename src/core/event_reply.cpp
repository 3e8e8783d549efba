#include "core/event_reply.hpp"

#include "core/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace scpipe {

namespace json = boost::json;

reply_status status_for(uint64_t accepted, uint64_t rejected) {
  if (accepted == 0)
    return reply_status::rejected;
  return rejected == 0 ? reply_status::ok : reply_status::partial;
}

std::string render_reply(reply_status status, uint64_t accepted, uint64_t rejected,
                         const std::vector<event_rejection>& rejections, std::string_view reason) {
  if (rejections.empty() && reason.empty()) {
    // Most replies (every "ok" and "duplicate" without errors), written straight into one
    // string: the text json::serialize gives the object below (a status needs no escaping).
    std::string out;
    out.reserve(64);
    out.append(R"({"status":")").append(to_string(status)).append(R"(","accepted":)");
    out.append(std::to_string(accepted)).append(R"(,"rejected":)");
    out.append(std::to_string(rejected)).append(R"(,"errors":[]})");
    return out;
  }
  json::array errors;
  auto n = std::min(rejections.size(), protocol::max_reply_errors);
  errors.reserve(n);
  for (size_t i = 0; i < n; ++i)
    errors.push_back(json::object{{"index", rejections[i].index},
                                  {"error", log::scrubbed(rejections[i].reason)}});
  json::object reply{{"status", to_string(status)},
                     {"accepted", accepted},
                     {"rejected", rejected},
                     {"errors", std::move(errors)}};
  if (!reason.empty())
    reply["reason"] = reason;
  return json::serialize(reply);
}

std::optional<parsed_reply> parse_reply(std::string_view body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  const auto* obj = ec ? nullptr : v.if_object();
  if (!obj)
    return std::nullopt;
  parsed_reply out;
  const auto* status = obj->if_contains("status");
  if (!status || !status->is_string())
    return std::nullopt;
  auto it = std::find_if(std::begin(all_reply_statuses), std::end(all_reply_statuses),
                         [&](reply_status s) { return to_string(s) == status->get_string(); });
  if (it == std::end(all_reply_statuses))
    return std::nullopt;
  out.status = *it;
  auto count = [&](std::string_view key, uint64_t& into) {
    const auto* f = obj->if_contains(key);
    if (!f)
      return false;
    auto n = f->to_number<int64_t>(ec);
    if (ec || n < 0)
      return false;
    into = static_cast<uint64_t>(n);
    return true;
  };
  if (!count("accepted", out.accepted) || !count("rejected", out.rejected))
    return std::nullopt;
  if (const auto* reason = obj->if_contains("reason"); reason && reason->is_string())
    out.reason = std::string{reason->get_string()};
  if (const auto* errors = obj->if_contains("errors"); errors && errors->is_array()) {
    for (const auto& e : errors->get_array()) {
      const auto* eo = e.if_object();
      if (!eo)
        return std::nullopt;
      event_rejection r;
      if (const auto* i = eo->if_contains("index"); i && i->is_int64())
        r.index = i->get_int64();
      if (const auto* m = eo->if_contains("error"); m && m->is_string())
        r.reason = std::string{m->get_string()};
      out.errors.push_back(std::move(r));
    }
  }
  return out;
}

} // namespace scpipe
