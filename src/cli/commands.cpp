#include "cli/commands.hpp"

#include "cli/etl.hpp"
#include "cli/interrupt.hpp"
#include "cli/keygen.hpp"
#include "cli/load.hpp"
#include "cli/migrate.hpp"
#include "cli/publish.hpp"
#include "cli/publish_options.hpp"
#include "cli/replay.hpp"
#include "cli/report.hpp"
#include "cli/run.hpp"
#include "cli/seed.hpp"
#include "core/conninfo.hpp"
#include "core/log.hpp"
#include "core/publish_messages.hpp"
#include "core/version.hpp"
#include "db/connection.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace scpipe::cli {

namespace {

constexpr std::string_view default_config_path = "config/scpipe.toml";

constexpr std::string_view common_options = R"(Options:
  --config FILE   configuration file (default: config/scpipe.toml; when that default is
                  missing, built-in defaults apply; a directory or other non-regular file
                  is an error). SCPIPE_<SECTION>_<KEY> variables override any key, e.g.
                  SCPIPE_DATABASE_URL.
  --help          this help
  --version       scpipe's version (before any command)
Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad configuration, 128 + the signal
when SIGINT or SIGTERM interrupted it (the statement running on the server is cancelled).
)";

void print_usage(std::ostream& out) {
  out << "Usage: scpipe <command> [--config FILE] [ARGS...]\n\n"
         "scpipe feeds a PostgreSQL analytics warehouse: user documents and CRM exports through\n"
         "an SCD type-2 ETL, user events from ZeroMQ producers.\n\nCommands:\n";
  for (const auto& cmd : commands()) {
    std::string head{cmd.name};
    if (!cmd.synopsis.empty())
      head += " " + std::string{cmd.synopsis};
    // Summaries in one column; a head too long for it gets a line of its own.
    constexpr size_t column = 26;
    out << "  " << head
        << (head.size() < column ? std::string(column - head.size(), ' ')
                                 : "\n" + std::string(column + 2, ' '))
        << cmd.summary;
    out << '\n';
  }
  out << "\nRun 'scpipe <command> --help' for a command's details.\n\n" << common_options;
}

void print_command_help(const command& cmd, std::ostream& out) {
  out << "Usage: scpipe " << cmd.name << " [--config FILE]";
  if (!cmd.synopsis.empty())
    out << ' ' << cmd.synopsis;
  out << "\n\n" << cmd.summary << ".\n";
  if (!cmd.details.empty())
    out << '\n' << cmd.details;
  out << '\n' << common_options;
}

const command* find_command(std::string_view name) {
  for (const auto& cmd : commands())
    if (cmd.name == name)
      return &cmd;
  return nullptr;
}

/// Whether `flag` (e.g. "--batch") is one of `cmd`'s flags that take a value ("--batch=").
bool takes_value(const command& cmd, std::string_view flag) {
  for (auto f : cmd.flags)
    if (f.ends_with('=') && f.substr(0, f.size() - 1) == flag)
      return true;
  return false;
}

int usage_error(const std::string& message) {
  std::cerr << "scpipe: " << message << " (see 'scpipe --help')\n";
  return exit_usage;
}

/// publish's help: its numeric flags' bounds and defaults come from their one definition.
const std::string& publish_details() {
  static const std::string text =
      "Reads each FILE as a stream: CSV when its name ends in .csv (a header naming user_id,\n"
      "event_time, event_type and optionally platform, first_event, in any case and order;\n"
      "each row becomes an object of its non-empty fields as strings), otherwise a JSON array\n"
      "of event objects or NDJSON (each object sent as it is). An empty file is an error. The\n"
      "fields are checked by the service, not here. Events go to broker.endpoint\n"
      "(docs/protocol.md) as messages [id, JSON array]; the service's replies are\n"
      "matched by id. Prints a summary (events sent, accepted, rejected with their reasons,\n"
      "duplicates, resends) and shows progress on a terminal.\n"
      "  --batch=N         events per message ("
      + batch_flag.range_text()
      + "); a message is also cut\n"
        "                    before it would exceed broker.max_message_bytes (an event larger\n"
        "                    than that alone is not sent: it counts as rejected, with its line)\n"
        "  --window=N        messages in flight, awaiting their replies ("
      + window_flag.range_text()
      + ")\n"
        "  --timeout-ms=N    a message with no reply this long is sent again, with the same id\n"
        "                    and payload ("
      + timeout_flag.range_text()
      + "); a 'retry' reply resends it\n"
        "                    after "
      + std::to_string(window_settings{}.retry_initial.count()) + " ms, doubling up to "
      + std::to_string(window_settings{}.retry_max.count() / 1000)
      + " s. When the first timeout passes\n"
        "                    with no reply at all, it says that nothing answers at the endpoint\n"
        "                    and whether a connection to it was made\n"
        "  --max-attempts=N  sends of one message ("
      + attempts_flag.range_text()
      + "; 0: never give up);\n"
        "                    one still unanswered after its last counts as failed\n"
        "  --id-prefix=P     message ids are P-<file number>-<message number>, both from 1 (P:\n"
        "                    1.."
      + std::to_string(max_id_prefix_bytes)
      + " printable ASCII characters, no spaces). By default P is 32\n"
        "                    random hex digits. Running the same command again with the same P,\n"
        "                    files and --batch (e.g. after a crash or SIGINT) sends the same ids,\n"
        "                    which the service answers 'duplicate' where it committed them\n"
        "                    already: nothing is written twice.\n"
        "  --endpoint=E      send to E instead of broker.endpoint; repeat it for several\n"
        "                    services on one database: messages are spread over those that are\n"
        "                    connected, and a resend may reach another one, which answers\n"
        "                    'duplicate' for what the first committed\n"
        "  --allow-rejected  exit 0 even when events were rejected (they are still reported)\n"
        "  --client-key=FILE with --server-key: CURVE, as the service's broker.curve_* keys\n"
        "                    require; FILE is this producer's secret certificate (scpipe keygen)\n"
        "  --server-key=FILE the service's public certificate (its NAME.key); a service that\n"
        "                    does not allow this client's key never answers (messages fail)\n"
        "A syntax error names the file and line; nothing more is sent (messages sent before it\n"
        "stay sent), the replies in flight are awaited. SIGINT or SIGTERM stops at once and\n"
        "reports the messages not yet answered. Exit 0 only when every message was answered and\n"
        "no event was rejected; 1 otherwise (rejections, failures, a bad file, an interrupt).\n";
  return text;
}

} // namespace

const std::vector<command>& commands() {
  static const std::vector<command> all = {
      {"run",
       "",
       "the service: supervisor and all actors, in the foreground until SIGINT/SIGTERM",
       "Starts the supervisor, which starts its actors in dependency order and restarts a failed\n"
       "one with exponential backoff (supervisor.* keys). SIGINT or SIGTERM stops the actors in\n"
       "reverse order, letting each drain (exit 0); a second signal exits at once (exit 1). Past\n"
       "the restart intensity the process stops and exits 1. Logs go to stderr: text on a\n"
       "terminal, JSON lines otherwise (log.format).\n"
       "The actors: the HTTP endpoint (http.listen), the user-ETL scheduler (etl.*), the event\n"
       "stream's writers (database.pool_size), batcher and broker listener (broker.*, batcher.*;\n"
       "CURVE with broker.curve_*). Connects as a login in both scpipe_writer and scpipe_etl when\n"
       "the least-privilege roles are used (database.create_roles).\n",
       {},
       0,
       0,
       run_command},
      {"migrate",
       "",
       "applies the sql/ migrations in order, once each; safe to repeat",
       "Each pending migration runs in its own transaction together with its row in\n"
       "scpipe.schema_migrations, so a failing one leaves nothing half-applied. Concurrent runs\n"
       "are serialised by an advisory lock. Prints the migrations applied. With\n"
       "database.create_roles on, it then creates the group roles scpipe_writer, scpipe_etl and\n"
       "scpipe_analyst if missing and grants each exactly its part (sql/roles.sql), every run.\n",
       {},
       0,
       0,
       migrate_command},
      {"load-users",
       "FILE...",
       "user documents (JSON array or NDJSON) into staging.sc_user_document",
       "Each document is stored exactly as it came, one row per document, numbered in load order\n"
       "(load_seq). A file is read as a stream (memory stays within one document) and loads in\n"
       "one transaction: wholly or not at all. A syntax error names the file, line and record\n"
       "and loads nothing of that file; files before it stay loaded, files after it are not\n"
       "read. Prints the documents loaded per file; shows progress on a terminal.\n",
       {},
       1,
       -1,
       load_users_command},
      {"load-crm",
       "FILE...",
       "CRM CSV export into staging.crm_customer",
       "RFC 4180 CSV with a header: quoted fields may hold commas, quotes and line breaks; CRLF\n"
       "or LF; a UTF-8 byte-order mark is ignored. Header names map to columns (user_email ->\n"
       "customer_email; industry, region, company_name; any case and order); all four are\n"
       "required, so a partial export cannot blank users' attributes; other columns are\n"
       "ignored with a warning. A bad row (field count, invalid UTF-8, a value over 200\n"
       "characters) names the file and line and loads nothing of that file. One transaction\n"
       "per file.\n",
       {},
       1,
       -1,
       load_crm_command},
      {"etl",
       "[--full]",
       "one user-ETL run now; prints inserted / changed / unchanged / rejected",
       "Merges what arrived in staging since the last run into sc.sc_user (SCD type 2, history\n"
       "in sc.sc_user_hist), the same SQL function the service's scheduler calls. Unusable\n"
       "documents are listed in scpipe.rejected_user_document and counted. A run waits for a\n"
       "run in progress and for loads in flight.\n"
       "  --full   reconsider every staging row, not only the new ones (e.g. after changing\n"
       "           etl.timezone); the result is the same as incremental runs would give.\n",
       {"--full"},
       0,
       0,
       etl_command},
      {"publish",
       "[OPTIONS] FILE...",
       "sends events to a running service, waits for every reply",
       publish_details(),
       {"--batch=", "--window=", "--timeout-ms=", "--max-attempts=", "--id-prefix=", "--endpoint=",
        "--allow-rejected", "--client-key=", "--server-key="},
       1,
       -1,
       publish_command},
      {"seed",
       "[--dir=DIR]",
       "the seed job: migrate, load seed/ users and CRM, ETL, publish seed/ events",
       "Runs the example data of seed/ (or --dir=DIR) through the whole pipeline: applies the\n"
       "migrations; loads the first user export (users.json) and CRM export (crm.csv), runs the\n"
       "user ETL; loads the later exports (users-later.ndjson, crm-later.csv: some users change\n"
       "company or licence), runs the ETL again; then publishes events.json and events.csv to the\n"
       "running service at broker.endpoint (start `scpipe run` first). User exports are loaded\n"
       "only into an empty staging table, and events carry fixed ids, so running it again writes\n"
       "nothing twice. A few seed events are wrong on purpose: their rejections are reported.\n"
       "Exit 0 when every step succeeded.\n",
       {"--dir="},
       0,
       0,
       seed_command},
      {"replay-rejected",
       "[--message=ID] [--dry-run]",
       "writes dead-lettered events that are valid by now, once",
       "Once the cause of rejected events is fixed (a constraint dropped, an upstream field\n"
       "corrected in the dead-letter row, a rule relaxed), validates every row of\n"
       "scpipe.rejected_event not yet replayed again with the service's rules and, in one\n"
       "transaction, writes the events valid now to sc.sc_user_event and marks their rows\n"
       "replayed (replayed_at): a second replay writes nothing twice. Rows still refused, by the\n"
       "rules or by the database, keep the reason in replay_note (listed, first 20) and do not\n"
       "hold back the others. --message=ID replays one message's rows only (an id without dead\n"
       "letters is an error); --dry-run says what would happen and changes nothing.\n",
       {"--message=", "--dry-run"},
       0,
       0,
       replay_rejected_command},
      {"keygen",
       "NAME",
       "a CURVE key pair for the broker socket or a producer",
       "Writes a new CURVE key pair as ZeroMQ certificates (the format pyzmq and czmq use):\n"
       "NAME.key_secret, the secret certificate (both keys; mode 0600, keep it private), and\n"
       "NAME.key, the public certificate (mode 0644, meant to be handed out). Never overwrites\n"
       "a file. For the service: broker.curve_secret_key_file = NAME.key_secret, and producers\n"
       "get NAME.key. For a producer: its NAME.key goes into the service's\n"
       "broker.curve_allowed_keys_file, and `scpipe publish --client-key=NAME.key_secret\n"
       "--server-key=SERVER.key` uses the pair.\n",
       {},
       1,
       1,
       keygen_command},
      {"report",
       "[--out=DIR]",
       "the analysts' first-week-login report (HTML with SVG charts, plus CSV)",
       "Answers \"do users who bought a licence log in more in their first week?\" from the view\n"
       "sc.first_week_logins: per active value (licence, none, unknown) a bar chart of users by\n"
       "their number of logins in the week after signup (0 to 9, then 10-19, 20-49, 50+; one\n"
       "scale for all), with the users, the mean and the data time. Writes\n"
       "DIR/first_week_logins.html (self-contained: open it in a browser) and\n"
       "DIR/first_week_logins.csv (active,first_week_logins,users: every exact count). DIR\n"
       "defaults to report/.\n",
       {"--out="},
       0,
       0,
       report_command},
  };
  return all;
}

int main(int argc, char** argv) {
  db::keep_openssl_until_exit();
  // Whatever a command prints goes through the secret scrubber, as log lines do (the secrets
  // are registered once the configuration is read).
  log::scrub_stream(std::cout);
  log::scrub_stream(std::cerr, true);
  bool terminal = isatty(STDERR_FILENO) == 1;
  // Until the configuration is read (it may fail), the environment's choice or the default.
  const auto& format_key = keys::log_format;
  const char* env_format = std::getenv(env_var(format_key.section, format_key.name).c_str());
  log::set_format(log::parse_format(env_format ? env_format : "", terminal)
                      .value_or(*log::parse_format(format_key.fallback, terminal)));
  std::optional<std::string> config_path;
  std::vector<std::string> positional;
  std::vector<std::string> flags;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg{argv[i]};
    if (arg == "--version" && positional.empty()) {
      std::cout << "scpipe " << version() << '\n';
      return exit_success;
    }
    if (arg == "--help" || arg == "-h") {
      help = true;
    } else if (arg == "--config") {
      if (i + 1 == argc)
        return usage_error("--config needs a file");
      config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = std::string{arg.substr(9)};
    } else if (arg == "--") {
      for (++i; i < argc; ++i)
        positional.emplace_back(argv[i]);
    } else if (arg.starts_with("-") && arg != "-") {
      // Checked against the command's own flags below. A flag that takes a value may have it
      // in the next argument; that needs the command, so it must come before such a flag.
      const auto* known = positional.empty() ? nullptr : find_command(positional.front());
      if (known && arg.find('=') == std::string_view::npos && takes_value(*known, arg)) {
        if (i + 1 == argc)
          return usage_error(std::string{arg} + " needs a value (" + std::string{arg} + "=...)");
        flags.push_back(std::string{arg} + "=" + argv[++i]);
      } else {
        flags.emplace_back(arg);
      }
    } else {
      positional.emplace_back(arg);
    }
  }
  if (positional.empty()) {
    print_usage(help ? std::cout : std::cerr);
    return help ? exit_success : exit_usage;
  }
  const auto* cmd = find_command(positional.front());
  if (!cmd)
    return usage_error("unknown command '" + positional.front() + "'");
  if (help) {
    print_command_help(*cmd, std::cout);
    return exit_success;
  }
  for (const auto& flag : flags) {
    auto eq = flag.find('=');
    auto name = flag.substr(0, eq);
    bool valued = takes_value(*cmd, name);
    bool plain = std::find(cmd->flags.begin(), cmd->flags.end(), name) != cmd->flags.end();
    if (!valued && !plain)
      return usage_error("unknown option '" + name + "' for " + std::string{cmd->name});
    if (valued && eq == std::string::npos)
      return usage_error(name + " needs a value (" + name + "=...)");
    if (!valued && eq != std::string::npos)
      return usage_error(name + " takes no value");
  }
  positional.erase(positional.begin());
  auto nargs = static_cast<int>(positional.size());
  if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args))
    return usage_error(std::string{cmd->name} + " takes "
                       + (cmd->synopsis.empty() ? "no arguments" : std::string{cmd->synopsis}));
  auto loaded = load_config(config_path.value_or(std::string{default_config_path}),
                            config_path.has_value(), process_environment());
  if (auto* errors = std::get_if<config_errors>(&loaded)) {
    for (const auto& e : *errors)
      std::cerr << "scpipe: bad configuration: " << e << '\n';
    return exit_usage;
  }
  invocation inv{std::get<config>(std::move(loaded)), std::move(positional), std::move(flags)};
  log::set_level(*log::parse_level(inv.cfg.log.level));
  log::set_format(*log::parse_format(inv.cfg.log.format, terminal));
  for (auto& secret : conninfo_passwords(inv.cfg.database.url))
    log::add_secret(std::move(secret));
  auto code = cmd->run(inv);
  if (int sig = command_interrupt::interrupted_by()) {
    const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    if (code == exit_success) {
      std::cerr << "scpipe " << cmd->name << ": " << name
                << " came when the work was done: it finished\n";
      return code;
    }
    std::cerr << "scpipe " << cmd->name << ": interrupted by " << name
              << "; the statement running on the server was cancelled\n";
    return 128 + sig;
  }
  return code;
}

} // namespace scpipe::cli
