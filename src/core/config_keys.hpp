#pragma once

// Every configuration key, one row each: its [section] and name, its default, its bounds (an
// integer's range, a string's choices) and what it is for. The config structs (config.hpp)
// take their defaults from here, the parser (config.cpp) its names, bounds and docs;
// config/scpipe.toml and docs/operations.md are checked against them by tests.

#include <cstdint>
#include <string_view>

namespace scpipe::keys {

struct integer_key_row {
  std::string_view section;
  std::string_view name;
  int64_t fallback;
  int64_t min;
  int64_t max;
  std::string_view doc;
};

struct boolean_key_row {
  std::string_view section;
  std::string_view name;
  bool fallback;
  std::string_view doc;
};

struct string_key_row {
  std::string_view section;
  std::string_view name;
  std::string_view fallback;
  /// The values allowed, separated by spaces; empty: any string (the parser may check more).
  std::string_view choices;
  std::string_view doc;
};

// -- [database] ------------------------------------------------------------------------------
inline constexpr string_key_row database_url{
    "database", "url", "", "",
    "libpq connection string or URI; empty: libpq's PG* variables apply"};
inline constexpr integer_key_row database_connect_timeout_s{
    "database", "connect_timeout_s", 5, 1, 300, "seconds to wait for one connection attempt"};
inline constexpr integer_key_row database_pool_size{
    "database", "pool_size", 2, 1, 64, "connections of the event writer pool"};
inline constexpr integer_key_row database_write_deadline_ms{
    "database", "write_deadline_ms",
    10000,      100,
    3600000,    "how long a batch may fail to commit before its messages are answered retry"};
inline constexpr boolean_key_row database_create_roles{
    "database", "create_roles", false,
    "whether scpipe migrate creates the least-privilege roles scpipe_writer, scpipe_etl and "
    "scpipe_analyst"};

// -- [broker] --------------------------------------------------------------------------------
inline constexpr string_key_row broker_endpoint{"broker", "endpoint", "tcp://127.0.0.1:5555", "",
                                                "ZeroMQ endpoint the ROUTER socket binds"};
inline constexpr integer_key_row broker_max_message_bytes{
    "broker", "max_message_bytes", 16 << 20, 1024, 1 << 30, "largest payload accepted"};
inline constexpr integer_key_row broker_max_inflight_bytes{
    "broker", "max_inflight_bytes", 32 << 20,
    1024,     int64_t{1} << 36,     "payload bytes held (read, not yet answered)"};
inline constexpr integer_key_row broker_max_inflight_messages{
    "broker", "max_inflight_messages", 4096, 1, 1000000, "messages held (read, not yet answered)"};
inline constexpr integer_key_row broker_receive_queue_messages{
    "broker", "receive_queue_messages",
    32,       1,
    100000,   "requests ZeroMQ queues per producer connection ahead of the service's reads"};
inline constexpr integer_key_row broker_dedup_retention_days{
    "broker", "dedup_retention_days", 7, 1, 3650, "days a message id is remembered for duplicates"};
inline constexpr integer_key_row broker_drain_timeout_ms{
    "broker",
    "drain_timeout_ms",
    15000,
    0,
    3600000,
    "on shutdown, how long read messages may take to commit before they are answered retry"};
inline constexpr string_key_row broker_curve_secret_key_file{
    "broker", "curve_secret_key_file", "", "",
    "the service's CURVE secret certificate (scpipe keygen); empty: no CURVE"};
inline constexpr string_key_row broker_curve_allowed_keys_file{
    "broker", "curve_allowed_keys_file", "", "",
    "public keys of the clients allowed to connect when CURVE is on, one per line"};
inline constexpr string_key_row broker_publish_endpoint{
    "broker", "publish_endpoint", "", "",
    "ZeroMQ endpoint a PUB socket binds to re-publish each committed batch's events; empty: "
    "none"};

// -- [batcher] -------------------------------------------------------------------------------
inline constexpr integer_key_row batcher_max_rows{
    "batcher", "max_rows", 10000, 1, 1000000, "events per batch (whole messages)"};
inline constexpr integer_key_row batcher_max_bytes{
    "batcher", "max_bytes", 4 << 20, 1024, 1 << 30, "bytes of row data per batch"};
inline constexpr integer_key_row batcher_linger_ms{
    "batcher", "linger_ms", 0, 0, 60000, "how long a batch waits for more events"};

// -- [http] ----------------------------------------------------------------------------------
inline constexpr string_key_row http_listen{
    "http", "listen", "127.0.0.1:9187", "",
    "host:port serving /metrics, /healthz and /readyz; empty: none"};

// -- [etl] -----------------------------------------------------------------------------------
inline constexpr integer_key_row etl_interval_s{
    "etl", "interval_s", 60, 1, 86400, "seconds between the starts of two scheduled user-ETL runs"};
inline constexpr string_key_row etl_timezone{"etl", "timezone", "UTC", "",
                                             "time zone of upstream times written without one"};

// -- [analytics] -----------------------------------------------------------------------------
inline constexpr integer_key_row analytics_interval_s{
    "analytics",
    "interval_s",
    5,
    0,
    86400,
    "seconds between two counts of the new events into the first-week answer; 0: this instance "
    "does not count"};

// -- [events] --------------------------------------------------------------------------------
inline constexpr string_key_row events_partition_interval{
    "events", "partition_interval", "month", "day week month",
    "event_ts span of one partition of sc.sc_user_event (in UTC)"};
inline constexpr integer_key_row events_partitions_ahead{
    "events", "partitions_ahead",
    3,        1,
    1000,     "partitions the service keeps made beyond the current one"};
inline constexpr string_key_row events_retention{
    "events", "retention", "", "",
    "how long events are kept, e.g. \"13 months\": older partitions are dropped; empty: all"};

// -- [log] -----------------------------------------------------------------------------------
inline constexpr string_key_row log_level{"log", "level", "info", "debug info warn error",
                                          "lowest level written"};
inline constexpr string_key_row log_format{
    "log", "format", "auto", "auto json text",
    "how standard error is written: json (one object per line), text, or auto (text on a "
    "terminal, else json)"};

// -- [supervisor] ----------------------------------------------------------------------------
inline constexpr integer_key_row supervisor_restart_backoff_initial_ms{
    "supervisor", "restart_backoff_initial_ms",
    100,          1,
    600000,       "delay before the first restart of a failed actor"};
inline constexpr integer_key_row supervisor_restart_backoff_max_ms{
    "supervisor", "restart_backoff_max_ms",
    30000,        1,
    3600000,      "upper bound of the doubling restart delay"};
inline constexpr integer_key_row supervisor_max_restarts{
    "supervisor",
    "max_restarts",
    5,
    0,
    10000,
    "restarts tolerated within restart_window_s before giving up"};
inline constexpr integer_key_row supervisor_restart_window_s{
    "supervisor", "restart_window_s", 60, 1, 86400, "window over which restarts are counted"};
inline constexpr integer_key_row supervisor_stop_timeout_s{
    "supervisor", "stop_timeout_s",
    30,           1,
    3600,         "time an actor gets to drain on shutdown before it is killed"};

} // namespace scpipe::keys
