#include "support/private_server.hpp"

#include "support/process.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pwd.h>
#include <stdexcept>
#include <unistd.h>

namespace scpipe::test {

namespace {

constexpr const char* server_user = "postgres";

/// The directory of initdb and pg_ctl: pg_virtualenv's PG_CONFIG says which version, else 15.
std::string bin_dir() {
  if (auto* pg_config = std::getenv("PG_CONFIG"))
    return std::filesystem::path{pg_config}.parent_path().string();
  return "/usr/lib/postgresql/15/bin";
}

/// PostgreSQL refuses to run as root: then its tools run as `postgres`.
bool as_root() {
  return geteuid() == 0;
}

} // namespace

std::optional<std::string> private_server::unavailable() {
  if (!std::filesystem::exists(bin_dir() + "/initdb"))
    return bin_dir() + "/initdb not found (package postgresql-15)";
  if (as_root() && !getpwnam(server_user))
    return "running as root, and there is no 'postgres' user to run PostgreSQL as";
  if (as_root() && !std::filesystem::exists("/usr/sbin/runuser"))
    return "running as root, and there is no /usr/sbin/runuser to run PostgreSQL as 'postgres'";
  return std::nullopt;
}

void private_server::tool(const std::string& name, std::vector<std::string> args) const {
  // `env -C /`: the tools must not start in a directory the server's user cannot enter.
  std::vector<std::string> argv;
  if (as_root())
    argv = {"/usr/sbin/runuser", "-u", server_user, "--"};
  argv.insert(argv.end(), {"/usr/bin/env", "-C", "/", bin_dir() + "/" + name});
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv, {}, std::chrono::seconds{60});
  if (r.code != 0)
    throw std::runtime_error{name + " failed (exit " + std::to_string(r.code) + "): " + r.out
                             + r.err + "\nserver log:\n" + read_file(dir_ + "/log")};
}

private_server::private_server() {
  if (auto why = unavailable())
    throw std::runtime_error{"no private PostgreSQL server: " + *why};
  std::string dir = (std::filesystem::temp_directory_path() / "scpipe-pg-XXXXXX").string();
  if (!mkdtemp(dir.data()))
    throw std::runtime_error{"mkdtemp failed"};
  dir_ = dir;
  try {
    if (as_root()) {
      auto* pw = getpwnam(server_user);
      if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error{"cannot chown " + dir_ + " to " + server_user};
    }
    port_ = free_tcp_port();
    tool("initdb", {"-D", dir_ + "/data", "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                    "--locale=C", "--no-sync"});
    // In the configuration file, so every start and restart uses them.
    std::ofstream conf{dir_ + "/data/postgresql.conf", std::ios::app};
    conf << "port = " << port_ << "\nlisten_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << dir_ << "'\nfsync = off\nmax_connections = 50\n";
    conf.close();
    if (!conf)
      throw std::runtime_error{"cannot write " + dir_ + "/data/postgresql.conf"};
    start();
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

private_server::~private_server() {
  try {
    tool("pg_ctl", {"-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
  } catch (...) {
    // already down, or never started
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string private_server::conninfo(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

void private_server::restart() {
  tool("pg_ctl", {"-D", dir_ + "/data", "-l", dir_ + "/log", "-m", "fast", "-w", "restart"});
}

void private_server::stop() {
  tool("pg_ctl", {"-D", dir_ + "/data", "-m", "fast", "-w", "stop"});
}

void private_server::start() {
  tool("pg_ctl", {"-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "start"});
}

} // namespace scpipe::test
