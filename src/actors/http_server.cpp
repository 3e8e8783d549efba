#include "actors/http_server.hpp"

#include "core/health.hpp"
#include "core/http.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace scpipe {

namespace {

constexpr const char* component = "http_server";

/// A slow or silent client gets this long to send its request and read the answer.
constexpr int client_timeout_ms = 2000;

/// The response to `request`.
std::string respond(const http_parse_result& parsed) {
  using state = http_parse_result::state;
  if (parsed.status != state::ok)
    return http_response(400, "text/plain; charset=utf-8", parsed.error + "\n");
  const auto& r = parsed.request;
  bool known = r.path == "/metrics" || r.path == "/healthz" || r.path == "/readyz";
  if (!known)
    return http_response(404, "text/plain; charset=utf-8",
                         "not found; try /metrics, /healthz or /readyz\n");
  if (r.method != "GET" && r.method != "HEAD")
    return http_response(405, "text/plain; charset=utf-8", "only GET\n");
  if (r.path == "/metrics")
    return http_response(200, "text/plain; version=0.0.4; charset=utf-8",
                         metrics::global().render());
  if (r.path == "/healthz")
    return http_response(200, "text/plain; charset=utf-8", "ok\n");
  auto reasons = service_health::global().not_ready_reasons();
  if (reasons.empty())
    return http_response(200, "text/plain; charset=utf-8", "ready\n");
  return http_response(503, "text/plain; charset=utf-8", "not ready:\n" + reasons);
}

} // namespace

/// The listening socket and the thread serving it.
class http_poller {
public:
  explicit http_poller(const listen_address& where) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    auto port = std::to_string(where.port);
    if (int rc = getaddrinfo(where.host.c_str(), port.c_str(), &hints, &found); rc != 0)
      throw std::runtime_error{"cannot resolve " + where.host + ": " + gai_strerror(rc)};
    std::string error = "no address";
    for (auto* a = found; a && fd_ < 0; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      int one = 1;
      if (fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0
          && ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
        fd_ = fd;
      } else {
        error = std::strerror(errno);
        if (fd >= 0)
          ::close(fd);
      }
    }
    freeaddrinfo(found);
    if (fd_ < 0)
      throw std::runtime_error{"cannot listen on " + where.host + ":" + port + ": " + error};
    if (::pipe2(wake_, O_CLOEXEC) != 0) {
      ::close(fd_);
      throw std::runtime_error{std::string{"pipe: "} + std::strerror(errno)};
    }
    thread_ = std::thread{[this] { run(); }};
  }

  ~http_poller() {
    stop_ = true;
    char c = 0;
    [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
    thread_.join();
    ::close(fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

private:
  void run() {
    while (!stop_) {
      pollfd fds[] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || stop_)
        continue;
      if (fds[0].revents & POLLIN) {
        int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) {
          serve(client);
          ::close(client);
        }
      }
    }
  }

  /// Reads one request head (bounded in size and time) and writes the response.
  static void serve(int client) {
    timeval timeout{client_timeout_ms / 1000, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    std::string head;
    http_parse_result parsed;
    char buf[2048];
    while (parsed.status == http_parse_result::state::incomplete) {
      auto n = ::recv(client, buf, sizeof buf, 0);
      if (n <= 0)
        return; // closed or too slow: nothing to answer
      head.append(buf, static_cast<size_t>(n));
      parsed = parse_http_request(head);
    }
    auto response = respond(parsed);
    if (parsed.status == http_parse_result::state::ok && parsed.request.method == "HEAD")
      response.resize(response.find("\r\n\r\n") + 4);
    for (size_t sent = 0; sent < response.size();) {
      auto n = ::send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        return;
      sent += static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

http_server_state::http_server_state() = default;
http_server_state::~http_server_state() = default;

http_server_actor::behavior_type
http_server(http_server_actor::stateful_pointer<http_server_state> self, http_config cfg) {
  listen_address where;
  parse_listen_address(cfg.listen, where); // validated with the configuration
  try {
    self->state.poller = std::make_unique<http_poller>(where);
    log::info(component, "serving /metrics, /healthz and /readyz", {{"listen", cfg.listen}});
  } catch (const std::exception& e) {
    log::error(component, "cannot start the HTTP endpoint", {{"error", e.what()}});
    self->quit(caf::make_error(caf::sec::runtime_error, e.what()));
  }
  return {
      [](caf::get_atom) { return service_health::global().not_ready_reasons(); },
  };
}

child_spec http_server_spec(const config& cfg) {
  return {"http_server", [http = cfg.http](caf::actor_system& sys) {
            return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(http_server, http));
          }};
}

} // namespace scpipe
