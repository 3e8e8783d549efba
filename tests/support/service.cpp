#include "support/service.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

namespace scpipe::test {

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return true;
}

running_service::running_service(std::map<std::string, std::string> env_in, bool until_ready)
    : endpoint{unique_endpoint()}, http_port{free_tcp_port()}, env{std::move(env_in)},
      until_ready_{until_ready} {
  env.try_emplace("SCPIPE_BROKER_ENDPOINT", endpoint);
  env.try_emplace("SCPIPE_HTTP_LISTEN", "127.0.0.1:" + std::to_string(http_port));
  env.try_emplace("SCPIPE_ETL_INTERVAL_S", "86400");
  endpoint = env["SCPIPE_BROKER_ENDPOINT"];
  const auto& listen = env["SCPIPE_HTTP_LISTEN"];
  http_port = std::stoi(listen.substr(listen.rfind(':') + 1));
  start();
}

running_service::running_service(const test_database& db,
                                 std::map<std::string, std::string> extra_env, bool until_ready)
    : running_service{[&] {
                        auto env = db.env();
                        for (auto& [k, v] : extra_env)
                          env[k] = v;
                        return env;
                      }(),
                      until_ready} {}

void running_service::start() {
  svc = std::make_unique<process>(std::vector<std::string>{SCPIPE_BINARY, "run"}, env);
  bool up = eventually(
      [&] {
        auto r = readiness();
        if (until_ready_)
          return r.status == 200;
        return r.status != 0 && r.body.find("broker socket not bound") == std::string::npos;
      },
      std::chrono::seconds{20});
  if (!up)
    ADD_FAILURE() << "scpipe run did not get " << (until_ready_ ? "ready" : "its socket bound")
                  << " within 20 s; /readyz: " << readiness().body << "\n"
                  << svc->err();
}

std::optional<int> running_service::stop(std::chrono::milliseconds timeout) {
  svc->signal(SIGTERM);
  return svc->wait(timeout);
}

http_reply running_service::readiness() const {
  return http_get(http_port, "/readyz");
}

double running_service::metric(const std::string& name) const {
  auto r = http_get(http_port, "/metrics");
  if (r.status != 200)
    return -1;
  double sum = 0;
  for (const auto& line : lines(r.body))
    if (line.starts_with(name + " ") || line.starts_with(name + "{"))
      sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

std::vector<std::string> running_service::errors() const {
  std::vector<std::string> out;
  for (const auto& line : lines(svc->err()))
    if (line.find("\"level\":\"error\"") != std::string::npos)
      out.push_back(line);
  return out;
}

} // namespace scpipe::test
