#include "actors/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

namespace scpipe {

caf::error make_error(ec code, std::string context) {
  return {static_cast<uint8_t>(code), error_category, caf::make_message(std::move(context))};
}

caf::error make_error(ec code) {
  return {static_cast<uint8_t>(code), error_category};
}

const char* to_string(ec code) {
  switch (code) {
  case ec::unspecified:
    return "unspecified";
  case ec::restart_intensity_exceeded:
    return "restart_intensity_exceeded";
  case ec::stop_timeout:
    return "stop_timeout";
  }
  return "unknown";
}

namespace {

std::string render_scpipe(uint8_t code, const caf::message& context) {
  std::string out = to_string(static_cast<ec>(code));
  if (context.match_elements<std::string>())
    out += ": " + context.get_as<std::string>(0);
  return out;
}

} // namespace

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() == error_category)
    return render_scpipe(err.code(), err.context());
  return caf::to_string(err);
}

void add_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return render_scpipe(code, ctx);
                         });
}

} // namespace scpipe
