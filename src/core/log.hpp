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

/// How lines on standard error look: JSON objects, one per line (for log collectors), or plain
/// text (for a person at a terminal). One format holds for the whole stream: log lines and the
/// messages commands print alike.
enum class format { json, text };

/// Parses "json", "text" or "auto" (text when standard error is a terminal, else json).
std::optional<format> parse_format(std::string_view name, bool to_terminal);

/// Sets the format of standard error (default: json).
void set_format(format f);

/// The format standard error is written in.
format current_format();

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
/// then passes it on, scrubbed, to `sink`. A buffer `as_log_lines` (standard error's) turns each
/// line into a log line of level error while the format is json, so the stream keeps one format.
class scrubbing_buffer : public std::streambuf {
public:
  explicit scrubbing_buffer(std::streambuf* sink, bool as_log_lines = false);

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
  bool as_log_lines_;
  std::mutex mutex_;
  std::string pending_;
  /// The component of the last line written as a log line: an indented line continues it.
  std::string component_ = "scpipe";
};

/// Sends everything written to `stream` (std::cout, std::cerr) through a scrubbing_buffer into
/// the buffer `stream` had, for the rest of the process; unit-buffering is turned off so that a
/// secret is not cut in two by a flush between insertions.
void scrub_stream(std::ostream& stream, bool as_log_lines = false);

/// A line a command printed ("scpipe etl: cannot connect ...") as a JSON log line of level
/// error: the component is the command ("etl"; "scpipe" for "scpipe: ..."), the message the
/// rest. An indented line continues the previous one: it keeps `component`, which is updated.
std::string command_line_as_log_line(std::string_view line, std::string& component);

/// Sends log lines to a file descriptor (default: 2, standard error).
void set_output_fd(int fd);

/// Formats one log line: a JSON object with time, level, component, message and fields,
/// terminated by a newline, with registered secrets removed. Pure apart from the clock.
std::string format_line(level lvl, std::string_view component, std::string_view message,
                        const boost::json::object& fields);

/// Formats one log line as plain text: time, level, component, message and the fields as
/// key=value (strings quoted when they hold a space, quote or '='), with secrets removed.
std::string format_text_line(level lvl, std::string_view component, std::string_view message,
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
