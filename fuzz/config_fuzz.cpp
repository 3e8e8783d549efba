/// Fuzzes parse_config (src/core/config.hpp): TOML configuration text plus SCPIPE_* environment
/// overrides. The input is the TOML text, optionally followed by a NUL byte and NAME=VALUE
/// lines for the environment. Checks that a refusal lists its problems, and that an
/// accepted configuration keeps its cross-key rules and, written back as TOML, parses to the
/// same configuration.

#include "core/config.hpp"
#include "core/utf8.hpp"
#include "require.hpp"

#include <boost/json/serialize.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace scpipe;
using fuzz::require;

env_map parse_env(std::string_view text) {
  env_map env;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto eq = line.find('=');
    if (eq != std::string_view::npos && line.find('\0') == std::string_view::npos) // as environ
      env.insert_or_assign(std::string{line.substr(0, eq)}, std::string{line.substr(eq + 1)});
  }
  return env;
}

/// A TOML basic string holding `s` (UTF-8 text).
std::string toml_string(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// Every key of `cfg` as TOML.
std::string to_toml(const config& cfg) {
  auto values = describe(cfg);
  values["database.url"] = cfg.database.url.c_str(); // describe() hides the password
  std::string out;
  std::string section;
  for (const auto& key : config_keys()) {
    auto dot = key.name.find('.');
    if (key.name.substr(0, dot) != section) {
      section = key.name.substr(0, dot);
      out += "[" + section + "]\n";
    }
    // Strings quoted; integers and booleans as JSON writes them, which is TOML's way too.
    const auto& value = values.at(key.name);
    out += key.name.substr(dot + 1) + " = "
           + (value.is_string() ? toml_string(value.get_string()) : boost::json::serialize(value))
           + "\n";
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto nul = input.find('\0');
  auto toml_text = input.substr(0, nul);
  auto env = parse_env(nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1));

  auto parsed = parse_config(toml_text, "fuzz.toml", env);
  if (const auto* errors = std::get_if<config_errors>(&parsed)) {
    require(!errors->empty(), "a refusal lists a problem");
    for (const auto& e : *errors)
      require(!e.empty(), "a problem is described");
    return 0;
  }
  const auto& cfg = std::get<config>(parsed);
  require(cfg.supervisor.restart_backoff_max_ms >= cfg.supervisor.restart_backoff_initial_ms,
          "backoff maximum not below the initial backoff");
  require(cfg.broker.max_inflight_bytes >= cfg.broker.max_message_bytes,
          "in-flight bound not below the message bound");

  // TOML text is UTF-8; the environment need not be, so only such values are written back.
  for (const auto& [name, value] : env)
    if (!utf8_length(value))
      return 0;
  auto written = to_toml(cfg);
  auto again = parse_config(written, "written.toml", {});
  require(std::holds_alternative<config>(again), "a written configuration parses");
  const auto& cfg2 = std::get<config>(again);
  require(describe(cfg2) == describe(cfg) && cfg2.database.url == cfg.database.url,
          "a written configuration is the same configuration");
  return 0;
}
