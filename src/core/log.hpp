#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace scpipe::log {

/// Severity of a log line; lines below the configured level are dropped.
enum class level { debug, info, warn, error };

/// Parses "debug", "info", "warn" or "error".
std::optional<level> parse_level(std::string_view name);

/// The name of a level as written in logs and the configuration.
const char* to_string(level lvl);

/// Sets the lowest level that is written (default: info).
void set_level(level lvl);

/// Registers a secret (e.g. the database password): every occurrence in a log line is
/// replaced by "****" before the line is written.
void add_secret(std::string secret);

/// Forgets every registered secret (tests).
void clear_secrets();

/// Sends log lines to a file descriptor (default: 2, standard error).
void set_output_fd(int fd);

/// Formats one log line: a JSON object with time, level, component, message and fields,
/// terminated by a newline, with registered secrets removed. Pure apart from the clock.
std::string format_line(level lvl, std::string_view component, std::string_view message,
                        const boost::json::object& fields);

/// Writes one log line atomically (one write call per line), if `lvl` is enabled.
void write(level lvl, std::string_view component, std::string_view message,
           const boost::json::object& fields = {});

inline void debug(std::string_view component, std::string_view message,
                  const boost::json::object& fields = {}) {
  write(level::debug, component, message, fields);
}

inline void info(std::string_view component, std::string_view message,
                 const boost::json::object& fields = {}) {
  write(level::info, component, message, fields);
}

inline void warn(std::string_view component, std::string_view message,
                 const boost::json::object& fields = {}) {
  write(level::warn, component, message, fields);
}

inline void error(std::string_view component, std::string_view message,
                  const boost::json::object& fields = {}) {
  write(level::error, component, message, fields);
}

} // namespace scpipe::log
