#pragma once

#include "core/config_keys.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace scpipe {

// -- one typed struct per section; each member's default, bounds and doc are its row in
// -- config_keys.hpp. Settings structs (writer_settings, batcher_settings,
// -- restart_policy::settings, ...) take their defaults from these.

/// [database]: where the warehouse lives.
struct database_config {
  std::string url{keys::database_url.fallback};
  int64_t connect_timeout_s = keys::database_connect_timeout_s.fallback;
  int64_t pool_size = keys::database_pool_size.fallback;
  int64_t write_deadline_ms = keys::database_write_deadline_ms.fallback;
  bool create_roles = keys::database_create_roles.fallback;
};

/// [broker]: the ZeroMQ socket producers send events to (docs/protocol.md).
struct broker_config {
  std::string endpoint{keys::broker_endpoint.fallback};
  int64_t max_message_bytes = keys::broker_max_message_bytes.fallback;
  int64_t max_inflight_bytes = keys::broker_max_inflight_bytes.fallback;
  int64_t max_inflight_messages = keys::broker_max_inflight_messages.fallback;
  int64_t receive_queue_messages = keys::broker_receive_queue_messages.fallback;
  int64_t dedup_retention_days = keys::broker_dedup_retention_days.fallback;
  int64_t drain_timeout_ms = keys::broker_drain_timeout_ms.fallback;
  std::string curve_secret_key_file{keys::broker_curve_secret_key_file.fallback};
  std::string curve_allowed_keys_file{keys::broker_curve_allowed_keys_file.fallback};
  std::string publish_endpoint{keys::broker_publish_endpoint.fallback};
};

/// [http]: the metrics and health endpoint.
struct http_config {
  std::string listen{keys::http_listen.fallback};
};

/// [batcher]: how validated events are grouped into database transactions (a batch is cut at
/// max_rows events or max_bytes, whole messages only, or when it has lingered linger_ms).
struct batcher_config {
  int64_t max_rows = keys::batcher_max_rows.fallback;
  int64_t max_bytes = keys::batcher_max_bytes.fallback;
  int64_t linger_ms = keys::batcher_linger_ms.fallback;
};

/// [events]: sc.sc_user_event's partitions by time (sql/0009).
struct events_config {
  std::string partition_interval{keys::events_partition_interval.fallback};
  int64_t partitions_ahead = keys::events_partitions_ahead.fallback;
  /// A PostgreSQL interval such as "13 months"; empty: keep every event.
  std::string retention{keys::events_retention.fallback};
};

/// [log]: what standard error carries, and how.
struct log_config {
  std::string level{keys::log_level.fallback};
  std::string format{keys::log_format.fallback};
};

/// [supervisor]: how failed actors are restarted and how the process stops.
struct supervisor_config {
  int64_t restart_backoff_initial_ms = keys::supervisor_restart_backoff_initial_ms.fallback;
  int64_t restart_backoff_max_ms = keys::supervisor_restart_backoff_max_ms.fallback;
  int64_t max_restarts = keys::supervisor_max_restarts.fallback;
  int64_t restart_window_s = keys::supervisor_restart_window_s.fallback;
  int64_t stop_timeout_s = keys::supervisor_stop_timeout_s.fallback;
};

/// [etl]: the user dimension's scheduled ETL.
struct etl_config {
  int64_t interval_s = keys::etl_interval_s.fallback;
  std::string timezone{keys::etl_timezone.fallback};
};

/// [analytics]: the first-week answer's kept counts (sql/0012).
struct analytics_config {
  int64_t interval_s = keys::analytics_interval_s.fallback;
};

/// The whole configuration, validated before anything is spawned.
struct config {
  database_config database;
  broker_config broker;
  batcher_config batcher;
  http_config http;
  etl_config etl;
  analytics_config analytics;
  events_config events;
  log_config log;
  supervisor_config supervisor;
};

/// Environment variables as name → value (tests pass their own; production passes environ).
using env_map = std::map<std::string, std::string, std::less<>>;

/// Every problem found in a configuration, one clear line each, e.g.
/// "config/scpipe.toml:12: supervisor.max_restarts: must be an integer in [0, 1000], got 5000".
using config_errors = std::vector<std::string>;

/// Parses configuration text (TOML) named `source` in messages, then applies SCPIPE_<SECTION>_<KEY>
/// overrides from `env`. Unknown sections and keys, wrong types and out-of-range values are
/// errors; every one is reported, not just the first.
std::variant<config, config_errors> parse_config(std::string_view toml_text,
                                                 std::string_view source, const env_map& env);

/// Reads the file at `path` and parses it as parse_config does. A missing file is an error
/// when `required`; otherwise the defaults (plus environment) apply.
std::variant<config, config_errors> load_config(const std::string& path, bool required,
                                                const env_map& env);

/// The environment variable that overrides a key: SCPIPE_<SECTION>_<KEY>.
std::string env_var(std::string_view section, std::string_view key);

/// The process environment as an env_map.
env_map process_environment();

/// One documented configuration key: its TOML name, environment variable and description.
struct key_info {
  std::string name;    ///< "section.key"
  std::string env_var; ///< "SCPIPE_SECTION_KEY"
  std::string type;    ///< "integer", "string" or "one of a, b, c"
  std::string doc;     ///< what the key is for
};

/// Every configuration key, in the order config/scpipe.toml lists them.
std::vector<key_info> config_keys();

/// The configuration as flat "section.key" → value, each of its type (integer, boolean,
/// string), with `database.url`'s password removed (safe to log).
std::map<std::string, boost::json::value> describe(const config& cfg);

} // namespace scpipe
