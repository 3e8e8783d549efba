#pragma once

#include "core/config.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scpipe::cli {

/// Exit codes of every command (docs/cli.md).
enum exit_code : int {
  exit_success = 0,
  exit_failure = 1, ///< runtime failure
  exit_usage = 2,   ///< bad usage or bad configuration
};

/// What a command is run with: the validated configuration, its own arguments and flags.
struct invocation {
  config cfg;
  std::vector<std::string> args;
  /// As given: "--full", or "--batch=10" for a flag with a value (also when given as
  /// "--batch 10").
  std::vector<std::string> flags;

  /// Whether `flag` (e.g. "--full") was given.
  bool has(std::string_view flag) const {
    for (const auto& f : flags)
      if (f == flag)
        return true;
    return false;
  }

  /// The value of a flag that takes one (`flag` without '=', e.g. "--batch"); the last one
  /// given wins; nothing when it was not given.
  std::optional<std::string> value(std::string_view flag) const {
    auto all = values(flag);
    if (all.empty())
      return std::nullopt;
    return all.back();
  }

  /// Every value of a flag that takes one, in the order given (e.g. "--endpoint", which may be
  /// repeated).
  std::vector<std::string> values(std::string_view flag) const {
    std::vector<std::string> found;
    for (const auto& f : flags)
      if (f.size() > flag.size() && f.starts_with(flag) && f[flag.size()] == '=')
        found.push_back(f.substr(flag.size() + 1));
    return found;
  }
};

/// One subcommand of the scpipe binary.
struct command {
  std::string_view name;
  /// Arguments after the name, e.g. "FILE...".
  std::string_view synopsis;
  /// One line for `scpipe --help`.
  std::string_view summary;
  /// The rest of `scpipe <name> --help`.
  std::string_view details;
  /// Flags of its own, e.g. "--full" (described in details); one ending in '=' takes a value,
  /// given as "--batch=10" or "--batch 10".
  std::vector<std::string_view> flags;
  /// Least and most arguments accepted (-1: no upper bound).
  int min_args;
  int max_args;
  /// Runs the command.
  int (*run)(const invocation&);
};

/// Every command, in the order `scpipe --help` lists them.
const std::vector<command>& commands();

/// The whole command line: parses options, loads and validates the configuration, sets up
/// logging and runs the command. Returns the process exit code.
int main(int argc, char** argv);

} // namespace scpipe::cli
