#pragma once

#include <boost/json/object.hpp>

#include <mutex>
#include <optional>
#include <ostream>
#include <streambuf>
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

/// Whether lines of `lvl` are written: a hot path asks before building a debug line's fields.
bool enabled(level lvl);

/// Registers a secret (e.g. the database password): every occurrence in a log line is
/// replaced by "****" before the line is written.
void add_secret(std::string secret);

/// Forgets every registered secret (tests).
void clear_secrets();

/// `text` with every registered secret replaced by "****": for output that is not a log line
/// (command messages, HTTP bodies, replies, report files), so a secret leaks through none.
std::string scrubbed(std::string text);

/// A stream buffer that holds text until a line ends ('\n', '\r') or the stream is flushed,
/// then passes it on, scrubbed, to `sink`.
class scrubbing_buffer : public std::streambuf {
public:
  explicit scrubbing_buffer(std::streambuf* sink);

protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

private:
  /// Passes on the complete lines; the rest waits for its line's end.
  void pass_on_lines();
  /// Passes on the first `n` characters, scrubbed.
  void pass_on(size_t n);

  std::streambuf* sink_;
  std::mutex mutex_;
  std::string pending_;
};

/// Sends everything written to `stream` (std::cout, std::cerr) through a scrubbing_buffer into
/// the buffer `stream` had, for the rest of the process; unit-buffering is turned off so that a
/// secret is not cut in two by a flush between insertions.
void scrub_stream(std::ostream& stream);

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
