#include "support/process.hpp"

#include <boost/json/parse.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>

extern char** environ;

namespace scpipe::test {

namespace {

std::string temp_file(const char* tag) {
  std::string path = "/tmp/scpipe-test-" + std::string{tag} + "-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0)
    throw std::runtime_error{"mkstemp failed"};
  close(fd);
  return path;
}

int decode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

scratch_files::~scratch_files() {
  for (const auto& p : paths_)
    std::remove(p.c_str());
}

std::string scratch_files::write(const std::string& name, const std::string& text) {
  static std::atomic<int> n{0};
  auto path =
      (std::filesystem::temp_directory_path()
       / ("scpipe-test-" + std::to_string(getpid()) + "-" + std::to_string(++n) + "-" + name))
          .string();
  std::ofstream out{path, std::ios::binary};
  out << text;
  out.close();
  if (!out)
    throw std::runtime_error{path + ": cannot write"};
  paths_.push_back(path);
  return path;
}

std::string unique_endpoint() {
  static std::atomic<int> n{0};
  auto path = std::filesystem::temp_directory_path()
              / ("scpipe-test-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".sock");
  return "ipc://" + path.string();
}

int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

process::process(std::vector<std::string> argv, std::map<std::string, std::string> env)
    : out_path_{temp_file("out")}, err_path_{temp_file("err")} {
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string entry{*e};
    auto eq = entry.find('=');
    merged[entry.substr(0, eq)] = eq == std::string::npos ? "" : entry.substr(eq + 1);
  }
  // A service started by a test listens where no other test (or a developer's scripts/up)
  // does, unless the test says where.
  merged["SCPIPE_BROKER_ENDPOINT"] = unique_endpoint();
  merged["SCPIPE_HTTP_LISTEN"] = "127.0.0.1:" + std::to_string(free_tcp_port());
  for (const auto& [k, v] : env)
    v.empty() ? (void)merged.erase(k) : (void)(merged[k] = v);
  std::vector<std::string> env_entries;
  for (const auto& [k, v] : merged)
    env_entries.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_entries)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error{"fork failed"};
  if (pid_ == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path_.c_str(), O_WRONLY | O_TRUNC);
    int err = open(err_path_.c_str(), O_WRONLY | O_TRUNC);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // The test runner may block signals; the child must see the defaults.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

process::~process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  unlink(out_path_.c_str());
  unlink(err_path_.c_str());
}

void process::signal(int sig) {
  if (!status_)
    ::kill(pid_, sig);
}

std::optional<int> process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int status = 0;
    auto r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = decode(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return status_;
}

bool process::wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (err().find(text) != std::string::npos)
      return true;
    if (wait(std::chrono::milliseconds{0}))
      return err().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return false;
}

std::string process::out() const {
  return read_file(out_path_);
}

std::string process::err() const {
  return read_file(err_path_);
}

run_result run(std::vector<std::string> argv, std::map<std::string, std::string> env,
               std::chrono::milliseconds timeout) {
  process p{std::move(argv), std::move(env)};
  auto code = p.wait(timeout);
  if (!code) {
    p.signal(SIGKILL);
    code = p.wait(std::chrono::seconds{5});
  }
  return {code.value_or(-1), p.out(), p.err()};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

std::string command_messages(const std::string& err) {
  std::string out;
  for (const auto& line : lines(err)) {
    auto parsed = boost::json::parse(line);
    const auto& entry = parsed.as_object();
    std::string component{entry.at("component").as_string()};
    std::string message{entry.at("message").as_string()};
    if (message.starts_with(' '))
      out += message; // a continuation line
    else if (component == "scpipe")
      out += "scpipe: " + message;
    else
      out += "scpipe " + component + ": " + message;
    out += '\n';
  }
  return out;
}

} // namespace scpipe::test
