#include "core/config.hpp"

#include "core/conninfo.hpp"
#include "core/http.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <unistd.h>

extern char** environ;

namespace scpipe {

namespace {

// -- the key table: every key of config_keys.hpp, bound to its place in the config struct --

/// A value as read from TOML or the environment, before validation.
using raw_value = std::variant<int64_t, std::string, bool, double>;

struct integer_key {
  int64_t min;
  int64_t max;
  std::function<int64_t&(config&)> field;
};

struct boolean_key {
  std::function<bool&(config&)> field;
};

struct string_key {
  std::vector<std::string> choices; ///< empty: any string
  std::function<std::string&(config&)> field;
  /// Optional further check; returns the reason a value is refused.
  std::function<std::optional<std::string>(const std::string&)> check = {};
};

/// An IANA time zone name: "UTC", or a file of the system's zoneinfo database when the system
/// has one (containers built from slim images may not; PostgreSQL then has the last word).
std::optional<std::string> check_time_zone(const std::string& name) {
  auto allowed = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-'
           || c == '+';
  };
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos
      || !std::all_of(name.begin(), name.end(), allowed))
    return "must be a time zone name such as \"UTC\" or \"Australia/Sydney\", got \"" + name + "\"";
  const std::filesystem::path zoneinfo{"/usr/share/zoneinfo"};
  std::error_code ec;
  if (name != "UTC" && std::filesystem::is_directory(zoneinfo, ec)
      && !std::filesystem::is_regular_file(zoneinfo / name, ec))
    return "unknown time zone \"" + name + "\" (not in " + zoneinfo.string() + ")";
  return std::nullopt;
}

/// A ZeroMQ endpoint a ROUTER can bind: tcp://host:port, ipc://path or inproc://name.
std::optional<std::string> check_endpoint(const std::string& endpoint) {
  for (std::string_view scheme : {"tcp://", "ipc://", "inproc://"})
    if (endpoint.starts_with(scheme) && endpoint.size() > scheme.size())
      return std::nullopt;
  return "must be a ZeroMQ endpoint such as \"tcp://127.0.0.1:5555\", got \"" + endpoint + "\"";
}

/// events.retention: empty, or a whole number of days, weeks, months or years ("13 months").
std::optional<std::string> check_retention(const std::string& text) {
  static const std::regex form{R"(^ *[1-9][0-9]{0,5} +(day|week|month|year)s? *$)"};
  if (text.empty() || std::regex_match(text, form))
    return std::nullopt;
  return "must be empty (keep every event) or a count of days, weeks, months or years such as "
         "\"13 months\", got \""
         + text + "\"";
}

/// host:port for the HTTP endpoint, or empty for none.
std::optional<std::string> check_listen(const std::string& text) {
  listen_address address;
  if (text.empty())
    return std::nullopt;
  if (auto problem = parse_listen_address(text, address); !problem.empty())
    return problem;
  return std::nullopt;
}

struct key_spec {
  std::string_view section;
  std::string_view key;
  std::string_view doc;
  std::variant<integer_key, string_key, boolean_key> kind;
};

/// A key of the table: its row (config_keys.hpp) and where its value goes.
key_spec spec(const keys::integer_key_row& row, std::function<int64_t&(config&)> field) {
  return {row.section, row.name, row.doc, integer_key{row.min, row.max, std::move(field)}};
}

key_spec spec(const keys::boolean_key_row& row, std::function<bool&(config&)> field) {
  return {row.section, row.name, row.doc, boolean_key{std::move(field)}};
}

key_spec spec(const keys::string_key_row& row, std::function<std::string&(config&)> field,
              std::function<std::optional<std::string>(const std::string&)> check = {}) {
  std::vector<std::string> choices;
  std::istringstream words{std::string{row.choices}};
  for (std::string word; words >> word;)
    choices.push_back(word);
  return {row.section, row.name, row.doc,
          string_key{std::move(choices), std::move(field), std::move(check)}};
}

const std::vector<key_spec>& key_table() {
  using c = config;
  static const std::vector<key_spec> table = {
      spec(keys::database_url, [](c& x) -> std::string& { return x.database.url; }),
      spec(keys::database_connect_timeout_s,
           [](c& x) -> int64_t& { return x.database.connect_timeout_s; }),
      spec(keys::database_pool_size, [](c& x) -> int64_t& { return x.database.pool_size; }),
      spec(keys::database_write_deadline_ms,
           [](c& x) -> int64_t& { return x.database.write_deadline_ms; }),
      spec(keys::database_create_roles, [](c& x) -> bool& { return x.database.create_roles; }),
      spec(
          keys::broker_endpoint, [](c& x) -> std::string& { return x.broker.endpoint; },
          check_endpoint),
      spec(keys::broker_max_message_bytes,
           [](c& x) -> int64_t& { return x.broker.max_message_bytes; }),
      spec(keys::broker_max_inflight_bytes,
           [](c& x) -> int64_t& { return x.broker.max_inflight_bytes; }),
      spec(keys::broker_max_inflight_messages,
           [](c& x) -> int64_t& { return x.broker.max_inflight_messages; }),
      spec(keys::broker_receive_queue_messages,
           [](c& x) -> int64_t& { return x.broker.receive_queue_messages; }),
      spec(keys::broker_dedup_retention_days,
           [](c& x) -> int64_t& { return x.broker.dedup_retention_days; }),
      spec(keys::broker_drain_timeout_ms,
           [](c& x) -> int64_t& { return x.broker.drain_timeout_ms; }),
      spec(keys::broker_curve_secret_key_file,
           [](c& x) -> std::string& { return x.broker.curve_secret_key_file; }),
      spec(keys::broker_curve_allowed_keys_file,
           [](c& x) -> std::string& { return x.broker.curve_allowed_keys_file; }),
      spec(keys::broker_publish_endpoint,
           [](c& x) -> std::string& { return x.broker.publish_endpoint; }),
      spec(keys::batcher_max_rows, [](c& x) -> int64_t& { return x.batcher.max_rows; }),
      spec(keys::batcher_max_bytes, [](c& x) -> int64_t& { return x.batcher.max_bytes; }),
      spec(keys::batcher_linger_ms, [](c& x) -> int64_t& { return x.batcher.linger_ms; }),
      spec(
          keys::http_listen, [](c& x) -> std::string& { return x.http.listen; }, check_listen),
      spec(keys::etl_interval_s, [](c& x) -> int64_t& { return x.etl.interval_s; }),
      spec(
          keys::etl_timezone, [](c& x) -> std::string& { return x.etl.timezone; }, check_time_zone),
      spec(keys::analytics_interval_s, [](c& x) -> int64_t& { return x.analytics.interval_s; }),
      spec(keys::events_partition_interval,
           [](c& x) -> std::string& { return x.events.partition_interval; }),
      spec(keys::events_partitions_ahead,
           [](c& x) -> int64_t& { return x.events.partitions_ahead; }),
      spec(
          keys::events_retention, [](c& x) -> std::string& { return x.events.retention; },
          check_retention),
      spec(keys::log_level, [](c& x) -> std::string& { return x.log.level; }),
      spec(keys::log_format, [](c& x) -> std::string& { return x.log.format; }),
      spec(keys::supervisor_restart_backoff_initial_ms,
           [](c& x) -> int64_t& { return x.supervisor.restart_backoff_initial_ms; }),
      spec(keys::supervisor_restart_backoff_max_ms,
           [](c& x) -> int64_t& { return x.supervisor.restart_backoff_max_ms; }),
      spec(keys::supervisor_max_restarts,
           [](c& x) -> int64_t& { return x.supervisor.max_restarts; }),
      spec(keys::supervisor_restart_window_s,
           [](c& x) -> int64_t& { return x.supervisor.restart_window_s; }),
      spec(keys::supervisor_stop_timeout_s,
           [](c& x) -> int64_t& { return x.supervisor.stop_timeout_s; }),
  };
  return table;
}

std::string full_name(const key_spec& spec) {
  return std::string{spec.section} + "." + std::string{spec.key};
}

std::string env_name(const key_spec& spec) {
  return env_var(spec.section, spec.key);
}

const key_spec* find_key(std::string_view section, std::string_view key) {
  for (const auto& spec : key_table())
    if (spec.section == section && spec.key == key)
      return &spec;
  return nullptr;
}

bool known_section(std::string_view section) {
  for (const auto& spec : key_table())
    if (spec.section == section)
      return true;
  return false;
}

std::string describe_raw(const raw_value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          return "string \"" + x + "\"";
        else if constexpr (std::is_same_v<T, bool>)
          return x ? "boolean true" : "boolean false";
        else if constexpr (std::is_same_v<T, int64_t>)
          return "integer " + std::to_string(x);
        else
          return "float " + std::to_string(x);
      },
      v);
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

/// Validates `v` for `spec` and stores it in `cfg`; returns the reason when it does not fit.
std::optional<std::string> assign(const key_spec& spec, const raw_value& v, config& cfg) {
  return std::visit(
      [&](const auto& kind) -> std::optional<std::string> {
        using K = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<K, integer_key>) {
          auto range = "[" + std::to_string(kind.min) + ", " + std::to_string(kind.max) + "]";
          const auto* i = std::get_if<int64_t>(&v);
          if (!i)
            return "must be an integer in " + range + ", got " + describe_raw(v);
          if (*i < kind.min || *i > kind.max)
            return "must be in " + range + ", got " + std::to_string(*i);
          kind.field(cfg) = *i;
        } else if constexpr (std::is_same_v<K, boolean_key>) {
          const auto* b = std::get_if<bool>(&v);
          if (!b)
            return "must be true or false, got " + describe_raw(v);
          kind.field(cfg) = *b;
        } else {
          const auto* s = std::get_if<std::string>(&v);
          if (!s)
            return "must be a string, got " + describe_raw(v);
          if (!kind.choices.empty()
              && std::find(kind.choices.begin(), kind.choices.end(), *s) == kind.choices.end())
            return "must be one of " + join(kind.choices) + ", got \"" + *s + "\"";
          if (kind.check)
            if (auto problem = kind.check(*s))
              return problem;
          kind.field(cfg) = *s;
        }
        return std::nullopt;
      },
      spec.kind);
}

std::optional<raw_value> from_toml(const toml::node& node) {
  if (auto i = node.as_integer())
    return raw_value{i->get()};
  if (auto s = node.as_string())
    return raw_value{s->get()};
  if (auto b = node.as_boolean())
    return raw_value{b->get()};
  if (auto d = node.as_floating_point())
    return raw_value{d->get()};
  return std::nullopt;
}

/// An environment value is an integer when the key is one and the text is all digits, a
/// boolean when the key is one and the text is "true" or "false"; otherwise it is a string,
/// and validation says what is wrong.
raw_value from_env(const key_spec& spec, const std::string& text) {
  if (std::holds_alternative<boolean_key>(spec.kind) && (text == "true" || text == "false"))
    return text == "true";
  if (std::holds_alternative<integer_key>(spec.kind)) {
    int64_t out = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (err == std::errc{} && end == text.data() + text.size() && !text.empty())
      return out;
  }
  return text;
}

std::string at(std::string_view source, const toml::source_region& where) {
  return std::string{source} + ":" + std::to_string(where.begin.line);
}

std::string type_of(const key_spec& spec) {
  return std::visit(
      [](const auto& kind) -> std::string {
        using K = std::decay_t<decltype(kind)>;
        if constexpr (std::is_same_v<K, integer_key>)
          return "integer in [" + std::to_string(kind.min) + ", " + std::to_string(kind.max) + "]";
        else if constexpr (std::is_same_v<K, boolean_key>)
          return "boolean";
        else
          return kind.choices.empty() ? "string" : "one of " + join(kind.choices);
      },
      spec.kind);
}

} // namespace

std::string env_var(std::string_view section, std::string_view key) {
  std::string out = "SCPIPE_";
  for (auto part : {section, std::string_view{"_"}, key})
    for (char ch : part)
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::variant<config, config_errors> parse_config(std::string_view toml_text,
                                                 std::string_view source, const env_map& env) {
  config cfg;
  config_errors errors;
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    errors.push_back(at(source, e.source()) + ": " + std::string{e.description()});
    return errors;
  }
  for (auto&& [section, node] : root) {
    auto* table = node.as_table();
    if (!table || !known_section(section.str())) {
      errors.push_back(at(source, section.source()) + ": unknown " + (table ? "section [" : "key '")
                       + std::string{section.str()} + (table ? "]" : "'"));
      continue;
    }
    for (auto&& [key, value] : *table) {
      auto name = std::string{section.str()} + "." + std::string{key.str()};
      const auto* spec = find_key(section.str(), key.str());
      if (!spec) {
        errors.push_back(at(source, key.source()) + ": unknown key '" + name + "'");
        continue;
      }
      auto raw = from_toml(value);
      auto problem =
          raw ? assign(*spec, *raw, cfg)
              : std::optional<std::string>{"has the wrong type: expected " + type_of(*spec)};
      if (problem)
        errors.push_back(at(source, value.source()) + ": " + name + ": " + *problem);
    }
  }
  for (const auto& spec : key_table()) {
    auto var = env.find(env_name(spec));
    if (var == env.end())
      continue;
    if (auto problem = assign(spec, from_env(spec, var->second), cfg))
      errors.push_back("environment " + var->first + ": " + full_name(spec) + ": " + *problem);
  }
  // Environment variables for a known section but an unknown key are typos, not someone else's.
  for (const auto& [name, value] : env) {
    if (!name.starts_with("SCPIPE_"))
      continue;
    bool known = false;
    bool section_known = false;
    for (const auto& spec : key_table()) {
      known = known || env_name(spec) == name;
      auto prefix = env_name(spec).substr(0, 7 + spec.section.size() + 1);
      section_known = section_known || name.starts_with(prefix);
    }
    if (section_known && !known)
      errors.push_back("environment " + name + ": unknown configuration key");
  }
  if (cfg.supervisor.restart_backoff_max_ms < cfg.supervisor.restart_backoff_initial_ms)
    errors.push_back(std::string{source} + ": supervisor.restart_backoff_max_ms ("
                     + std::to_string(cfg.supervisor.restart_backoff_max_ms)
                     + ") must not be below supervisor.restart_backoff_initial_ms ("
                     + std::to_string(cfg.supervisor.restart_backoff_initial_ms) + ")");
  if (cfg.broker.max_inflight_bytes < cfg.broker.max_message_bytes)
    errors.push_back(std::string{source} + ": broker.max_inflight_bytes ("
                     + std::to_string(cfg.broker.max_inflight_bytes)
                     + ") must not be below broker.max_message_bytes ("
                     + std::to_string(cfg.broker.max_message_bytes) + ")");
  if (cfg.broker.curve_secret_key_file.empty() != cfg.broker.curve_allowed_keys_file.empty())
    errors.push_back(std::string{source}
                     + ": broker.curve_secret_key_file and broker.curve_allowed_keys_file are "
                       "set together (CURVE without an allow-list would let any client in)");
  if (!errors.empty())
    return errors;
  return cfg;
}

std::variant<config, config_errors> load_config(const std::string& path, bool required,
                                                const env_map& env) {
  // Only a missing default file means "built-in defaults"; a directory, a device or a file that
  // cannot be read is an error, never an empty configuration.
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found && !required)
    return parse_config("", path, env);
  if (ec)
    return config_errors{path + ": cannot read configuration file: " + ec.message()};
  if (status.type() == std::filesystem::file_type::directory)
    return config_errors{path + ": is a directory, not a configuration file"};
  if (status.type() != std::filesystem::file_type::regular)
    return config_errors{path + ": is not a regular file, not a configuration file"};
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return config_errors{path + ": cannot read configuration file: " + std::strerror(errno)};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad())
    return config_errors{path + ": cannot read configuration file: " + std::strerror(errno)};
  return parse_config(text.str(), path, env);
}

env_map process_environment() {
  env_map out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry{*e};
    auto eq = entry.find('=');
    if (eq != std::string_view::npos)
      out.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return out;
}

std::vector<key_info> config_keys() {
  std::vector<key_info> out;
  for (const auto& spec : key_table())
    out.push_back({full_name(spec), env_name(spec), type_of(spec), std::string{spec.doc}});
  return out;
}

std::map<std::string, boost::json::value> describe(const config& cfg) {
  std::map<std::string, boost::json::value> out;
  auto copy = cfg;
  for (const auto& spec : key_table())
    out[full_name(spec)] = std::visit(
        [&](const auto& kind) -> boost::json::value {
          using K = std::decay_t<decltype(kind)>;
          if constexpr (std::is_same_v<K, integer_key>)
            return kind.field(copy);
          else if constexpr (std::is_same_v<K, boolean_key>)
            return kind.field(copy);
          else
            return boost::json::string{kind.field(copy)};
        },
        spec.kind);
  out["database.url"] = redact_conninfo(cfg.database.url);
  return out;
}

} // namespace scpipe
