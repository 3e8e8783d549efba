#pragma once

// Runs a binary as a child process with its output captured to files, for end-to-end tests.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace scpipe::test {

/// A unique ipc:// endpoint for one service (no TCP port to collide with a parallel test).
std::string unique_endpoint();

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_tcp_port();

/// Files a test writes for the binary to read, removed when the test ends.
class scratch_files {
public:
  scratch_files() = default;
  ~scratch_files();
  scratch_files(const scratch_files&) = delete;
  scratch_files& operator=(const scratch_files&) = delete;

  /// Writes `text` to a new file whose name ends in `name` (its extension counts, e.g.
  /// ".csv"); returns the path.
  std::string write(const std::string& name, const std::string& text);

private:
  std::vector<std::string> paths_;
};

/// A file's whole content.
std::string read_file(const std::string& path);

/// Every process gets its own broker endpoint and HTTP port unless `env` names them.
class process {
public:
  /// Starts `argv[0]` with `argv[1..]`, the current environment plus `env` (an empty value
  /// removes the variable), stdin from /dev/null, stdout and stderr into temporary files.
  process(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~process(); ///< kills the process if it still runs

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// Sends a signal.
  void signal(int sig);

  pid_t pid() const {
    return pid_;
  }

  /// Waits up to `timeout` for the exit; returns the exit code (128 + signal when killed).
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// Waits until stderr contains `text`; false on timeout or when the process exits first.
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout);

  std::string out() const;
  std::string err() const;

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
  std::string err_path_;
};

/// Runs to completion (up to `timeout`, then kills it); returns exit code, stdout, stderr.
struct run_result {
  int code;
  std::string out;
  std::string err;
};
run_result run(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
               std::chrono::milliseconds timeout = std::chrono::seconds{60});

/// Splits text into lines.
std::vector<std::string> lines(const std::string& text);

/// A command's standard error as a person reads it: each JSON line of level error that a
/// command message became (log.format json, the default off a terminal) back as it is printed
/// on a terminal ("scpipe etl: ...", "scpipe: ..." for component scpipe); other lines as they
/// are. Fails the test on a line that is not JSON, since stderr has one format.
std::string command_messages(const std::string& err);

} // namespace scpipe::test
