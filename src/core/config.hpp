#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace scpipe {

// -- one typed struct per component; the defaults here are the only ones: settings structs
// -- (writer_settings, batcher_settings, restart_policy::settings, ...) take theirs from here

/// [database]: where the warehouse lives.
struct database_config {
  /// libpq connection string or URI; empty means libpq's PG* environment variables apply.
  std::string url = "";
  /// Seconds to wait for a connection before giving up on an attempt.
  int64_t connect_timeout_s = 5;
  /// Connections of the event writer pool (one detached db_writer actor each).
  int64_t pool_size = 2;
  /// How long a batch may fail to commit (database unreachable or refusing) before its
  /// messages are answered `retry`.
  int64_t write_deadline_ms = 10000;
  /// Whether `scpipe migrate` creates the least-privilege group roles scpipe_writer, scpipe_etl
  /// and scpipe_analyst and grants them exactly their part (sql/roles.sql); off: no roles.
  bool create_roles = false;
};

/// [broker]: the ZeroMQ socket producers send events to (docs/protocol.md).
struct broker_config {
  /// Where the ROUTER socket binds.
  std::string endpoint = "tcp://127.0.0.1:5555";
  /// Largest payload accepted; a larger one is answered `rejected`.
  int64_t max_message_bytes = 16 << 20;
  /// Payload bytes held in the process (read, not yet answered); at the bound the socket is not
  /// read until replies free room.
  int64_t max_inflight_bytes = 32 << 20;
  /// Messages held in the process; the same bound by count.
  int64_t max_inflight_messages = 4096;
  /// Days a message id is remembered, so a resend within it is answered `duplicate`.
  int64_t dedup_retention_days = 7;
  /// On shutdown, how long messages already read may take to commit before they are
  /// answered `retry`.
  int64_t drain_timeout_ms = 15000;
  /// CURVE on the socket: the service's secret certificate (written by `scpipe keygen`);
  /// empty: no CURVE, plain TCP. Set together with curve_allowed_keys_file.
  std::string curve_secret_key_file = "";
  /// The public keys of the clients allowed to connect, one per line; any other client's
  /// handshake is refused (no reply, nothing written).
  std::string curve_allowed_keys_file = "";
};

/// [http]: the metrics and health endpoint.
struct http_config {
  /// host:port serving /metrics, /healthz and /readyz; empty: no endpoint.
  std::string listen = "127.0.0.1:9187";
};

/// [batcher]: how validated events are grouped into database transactions.
struct batcher_config {
  /// A batch is cut at this many events (whole messages: a larger message is a batch alone).
  int64_t max_rows = 10000;
  /// ... or at this many bytes of row data.
  int64_t max_bytes = 4 << 20;
  /// ... or when its first message has waited this long and a writer is free.
  int64_t linger_ms = 0;
};

/// [log]: what standard error carries, and how.
struct log_config {
  /// Lowest level written: debug, info, warn or error.
  std::string level = "info";
  /// json, text, or auto (text on a terminal, else JSON lines); command messages follow it.
  std::string format = "auto";
};

/// [supervisor]: how failed actors are restarted and how the process stops.
struct supervisor_config {
  /// Delay before the first restart of a failed child.
  int64_t restart_backoff_initial_ms = 100;
  /// Upper bound of the doubling restart delay.
  int64_t restart_backoff_max_ms = 30000;
  /// Restarts tolerated within restart_window_s; one more and the process exits non-zero.
  int64_t max_restarts = 5;
  /// The window restart intensity is counted over; a child quiet this long starts again at
  /// the initial backoff.
  int64_t restart_window_s = 60;
  /// Time a child gets to drain and stop on shutdown before it is killed.
  int64_t stop_timeout_s = 30;
};

/// [etl]: the user dimension's scheduled ETL.
struct etl_config {
  /// Seconds between the starts of two scheduled ETL runs (runs never overlap).
  int64_t interval_s = 60;
  /// Time zone of upstream times written without one (IANA name, as PostgreSQL knows it).
  std::string timezone = "UTC";
};

/// The whole configuration, validated before anything is spawned.
struct config {
  database_config database;
  broker_config broker;
  batcher_config batcher;
  http_config http;
  etl_config etl;
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
