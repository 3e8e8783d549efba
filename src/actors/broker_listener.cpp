#include "actors/broker_listener.hpp"

#include "actors/stream_links.hpp"
#include "actors/stream_metrics.hpp"
#include "core/curve_keys.hpp"
#include "core/event_reply.hpp"
#include "core/health.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace scpipe {

namespace {

constexpr const char* component = "broker_listener";
/// Requests read per wake-up before replies get their turn again.
constexpr int max_reads_per_round = 256;
/// Where libzmq asks its context's ZAP handler whether a handshake may go on (RFC 27).
constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
/// A refused client is logged at most this often per address (its peer retries every 100 ms).
constexpr auto denial_log_interval = std::chrono::seconds{60};
/// Replies to producers that are gone are logged at most this often.
constexpr auto undeliverable_log_interval = std::chrono::seconds{60};
/// How soon a reply parked behind a full pipe is tried again.
constexpr auto parked_retry_interval = std::chrono::milliseconds{2};
/// The live feed: batches ZeroMQ holds per subscriber before that subscriber loses some.
constexpr int feed_subscriber_batches = 64;
/// The live feed: bytes of committed batches waiting for the poll thread before more are
/// dropped (counted), so a stalled poll thread cannot grow memory.
constexpr uint64_t feed_queue_max_bytes = 64 << 20;

using clock = std::chrono::steady_clock;

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string inproc_name() {
  static std::atomic<uint64_t> n{0};
  return "inproc://scpipe-replies-" + std::to_string(++n);
}

} // namespace

/// The poll thread and every ZeroMQ socket of the process.
class broker_poller {
public:
  broker_poller(broker_config cfg, std::shared_ptr<stream_links> links, caf::actor_addr owner,
                std::shared_ptr<const curve_server_keys> curve)
      : cfg_{std::move(cfg)}, links_{std::move(links)}, owner_{std::move(owner)}, curve_{std::move(
                                                                                      curve)} {
    auto pipe = inproc_name();
    pull_.set(zmq::sockopt::rcvhwm, 0);
    pull_.bind(pipe);
    push_.set(zmq::sockopt::sndhwm, 0);
    push_.connect(pipe);
    // Sequence numbers unique across listener instances: a reply meant for a predecessor
    // (restarted while writers held its messages) can never match a message of this one.
    static std::atomic<uint64_t> instances{0};
    next_seq_ = ++instances << 40;
    router_.set(zmq::sockopt::linger, 1000);        // let the last replies go out on close
    router_.set(zmq::sockopt::router_mandatory, 1); // see try_send
    // ZeroMQ queues at most this many messages per producer ahead of our reads (the high-water
    // mark counts messages, not bytes): room enough that small messages keep flowing without
    // ZeroMQ pausing each connection, few enough that memory stays bounded while we do not read.
    router_.set(zmq::sockopt::rcvhwm, static_cast<int>(cfg_.receive_queue_messages));
    // A frame far over the limit is not worth reading: ZeroMQ drops such a peer (no reply can
    // be sent). Up to 1 MiB over the limit is read and answered `rejected`.
    router_.set(zmq::sockopt::maxmsgsize, cfg_.max_message_bytes + (1 << 20));
    if (curve_) {
      // The ZAP handler must be bound before the first handshake: without one, libzmq lets
      // every CURVE client in.
      zap_.bind(zap_endpoint);
      router_.set(zmq::sockopt::curve_server, 1);
      router_.set(zmq::sockopt::curve_secretkey, curve_->server.secret_key);
      router_.set(zmq::sockopt::zap_domain, "scpipe");
    }
    router_.bind(cfg_.endpoint); // throws zmq::error_t, e.g. address in use
    if (!cfg_.publish_endpoint.empty()) {
      feed_.emplace(ctx_, zmq::socket_type::pub);
      feed_->set(zmq::sockopt::linger, 0);
      // Per subscriber, at most this many batches wait in ZeroMQ; past it that subscriber
      // loses batches (a PUB socket never blocks), never the writers' time.
      feed_->set(zmq::sockopt::sndhwm, feed_subscriber_batches);
      if (curve_) {
        feed_->set(zmq::sockopt::curve_server, 1);
        feed_->set(zmq::sockopt::curve_secretkey, curve_->server.secret_key);
        feed_->set(zmq::sockopt::zap_domain, "scpipe");
      }
      feed_->bind(cfg_.publish_endpoint);
    }
    service_health::global().broker_bound(true);
    thread_ = std::thread{[this] { run(); }};
  }

  ~broker_poller() {
    service_health::global().broker_bound(false);
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }

  /// From the actor's thread: hands replies to the poll thread, waking it once per batch of
  /// replies (not per reply) when it has none waiting.
  void send_replies(reply_batch& batch) {
    bool wake = false;
    {
      std::lock_guard guard{replies_mutex_};
      wake = replies_.empty() && feed_queue_.empty();
      if (replies_.empty())
        replies_ = std::move(batch.replies);
      else
        std::move(batch.replies.begin(), batch.replies.end(), std::back_inserter(replies_));
      if (feed_ && !batch.feed.empty()) {
        if (feed_queue_bytes_ + batch.feed.size() > feed_queue_max_bytes) {
          stream_metrics::get().feed_batches_dropped.inc();
        } else {
          feed_queue_bytes_ += batch.feed.size();
          feed_queue_.push_back({std::move(batch.feed), batch.feed_events});
        }
      }
    }
    if (wake)
      push_.send(zmq::const_buffer{}, zmq::send_flags::none);
  }

  /// From the actor's thread: stop reading, answer what was read, then report drained.
  void drain() {
    draining_ = true;
  }

  void join() {
    if (thread_.joinable())
      thread_.join();
  }

private:
  /// A committed batch's events for the live feed.
  struct feed_batch {
    std::string ndjson;
    uint64_t events = 0;
  };

  struct pending {
    zmq::message_t route;
    std::string id;
    uint64_t bytes = 0;
    uint64_t epoch = 0;
  };

  /// A reply its producer's pipe had no room for: sent again on a later round.
  struct parked {
    zmq::message_t route;
    std::string id;
    std::string body;
  };

  enum class sent { yes, pipe_full, peer_gone };

  sent try_send(const zmq::message_t& route, std::string_view id, const std::string& body) {
    std::array<zmq::const_buffer, 3> frames{zmq::buffer(route.data(), route.size()),
                                            zmq::buffer(id.data(), id.size()), zmq::buffer(body)};
    try {
      // ZMQ_ROUTER_MANDATORY: a full pipe is EAGAIN (nothing sent), a peer that is gone is
      // EHOSTUNREACH, instead of both being dropped in silence.
      if (!zmq::send_multipart(router_, frames, zmq::send_flags::dontwait))
        return sent::pipe_full;
      return sent::yes;
    } catch (const zmq::error_t& e) {
      if (e.num() != EHOSTUNREACH)
        throw;
      return sent::peer_gone;
    }
  }

  void undeliverable(std::string_view id) {
    stream_metrics::get().replies_undeliverable.inc();
    ++undeliverable_since_log_;
    auto now = clock::now();
    if (undeliverable_logged_ == clock::time_point{}
        || now - undeliverable_logged_ >= undeliverable_log_interval) {
      log::warn(component, "reply not delivered: its producer has disconnected",
                {{"message_id", readable_bytes(id)}, {"replies", undeliverable_since_log_}});
      undeliverable_logged_ = now;
      undeliverable_since_log_ = 0;
    }
  }

  /// Sends a reply now, or parks it while its producer's pipe is full: a reply is never
  /// dropped while its producer is connected. Parked replies count against the in-flight
  /// bound, so a producer that stops reading replies holds back reading, not memory.
  void reply(zmq::message_t route, std::string_view id, const std::string& body) {
    if (parked_routes_.contains(route.to_string())) {
      park(std::move(route), id, body); // behind its earlier replies
      return;
    }
    switch (try_send(route, id, body)) {
    case sent::yes:
      return;
    case sent::pipe_full:
      park(std::move(route), id, body);
      return;
    case sent::peer_gone:
      undeliverable(id);
      return;
    }
  }

  void park(zmq::message_t route, std::string_view id, const std::string& body) {
    ++parked_routes_[route.to_string()];
    parked_bytes_ += body.size();
    parked_.push_back({std::move(route), std::string{id}, body});
  }

  /// Tries the parked replies again, oldest first; a producer whose pipe is still full keeps
  /// the rest of its replies parked, in order.
  void send_parked() {
    if (parked_.empty())
      return;
    std::unordered_set<std::string> still_full;
    std::deque<parked> keep;
    for (auto& p : parked_) {
      auto route = p.route.to_string();
      auto result = still_full.contains(route) ? sent::pipe_full : try_send(p.route, p.id, p.body);
      if (result == sent::pipe_full) {
        still_full.insert(route);
        keep.push_back(std::move(p));
        continue;
      }
      if (result == sent::peer_gone)
        undeliverable(p.id);
      parked_bytes_ -= p.body.size();
      if (--parked_routes_[route] == 0)
        parked_routes_.erase(route);
    }
    parked_ = std::move(keep);
  }

  void answer(uint64_t seq, const std::string& body) {
    auto it = outstanding_.find(seq);
    if (it == outstanding_.end())
      return; // already answered `retry` (batcher restarted, or drain timed out)
    reply(std::move(it->second.route), it->second.id, body);
    inflight_bytes_ -= it->second.bytes;
    outstanding_.erase(it);
  }

  /// Publishes the in-flight figures and notices the bound being reached.
  void update_gauges() {
    const auto& m = stream_metrics::get();
    m.inflight_messages.set(static_cast<int64_t>(outstanding_.size()));
    m.inflight_bytes.set(static_cast<int64_t>(inflight_bytes_));
    bool paused = !has_room();
    if (paused && !paused_)
      m.backpressure_pauses.inc();
    paused_ = paused;
    m.reading_paused.set(paused ? 1 : 0);
  }

  void answer_all_retry(const std::string& why, uint64_t below_epoch) {
    auto body = render_reply(reply_status::retry, 0, 0, {{-1, why, {}}});
    for (auto it = outstanding_.begin(); it != outstanding_.end();) {
      if (it->second.epoch < below_epoch) {
        reply(std::move(it->second.route), it->second.id, body);
        stream_metrics::get().replies(reply_status::retry).inc();
        inflight_bytes_ -= it->second.bytes;
        it = outstanding_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void reject_now(zmq::message_t& route, std::string_view id, std::string why) {
    log::warn(component, "request refused", {{"error", why}});
    stream_metrics::get().requests_refused.inc();
    stream_metrics::get().replies(reply_status::rejected).inc();
    reply(std::move(route), id,
          render_reply(reply_status::rejected, 0, 0, {{-1, std::move(why), {}}}));
  }

  /// Checks one request; a well-formed one is added to `round`, to reach `batcher` with the
  /// rest of this poll round's.
  void read_request(std::vector<zmq::message_t>& frames, const event_batcher_actor& batcher,
                    uint64_t epoch, raw_messages& round) {
    // frames[0] is the ROUTER's routing id; the request is the rest.
    stream_metrics::get().requests.inc();
    auto& route = frames[0];
    if (frames.size() != 1 + protocol::request_frames
        && frames.size() != 1 + protocol::session_request_frames) {
      std::string_view first = frames.size() > 1 ? frames[1].to_string_view() : "";
      reject_now(route, first.substr(0, protocol::max_message_id_bytes),
                 "a request has two frames (message id, payload) or three (message id, payload, "
                 "producer session), got "
                     + std::to_string(frames.size() - 1));
      return;
    }
    auto id = frames[1].to_string();
    if (id.size() < protocol::min_message_id_bytes || id.size() > protocol::max_message_id_bytes) {
      reject_now(route, id.substr(0, protocol::max_message_id_bytes),
                 "the message id must be " + std::to_string(protocol::min_message_id_bytes) + " to "
                     + std::to_string(protocol::max_message_id_bytes) + " bytes, got "
                     + std::to_string(id.size()));
      return;
    }
    raw_message m;
    if (frames.size() == 1 + protocol::session_request_frames) {
      auto session = parse_producer_session(frames[3].to_string_view());
      if (auto* why = std::get_if<std::string>(&session)) {
        reject_now(route, id, std::move(*why));
        return;
      }
      m.session = std::get<producer_session>(std::move(session));
    }
    m.seq = ++next_seq_;
    m.id = id;
    m.size = frames[2].size();
    m.received_at_us = round_started_us_;
    m.too_large = m.size > static_cast<uint64_t>(cfg_.max_message_bytes);
    if (!m.too_large)
      m.payload = frames[2].to_string();
    if (!batcher) {
      reply(std::move(route), id,
            render_reply(reply_status::retry, 0, 0, {{-1, "the service is starting", {}}}));
      stream_metrics::get().replies(reply_status::retry).inc();
      return;
    }
    auto held = m.too_large ? 0 : m.size;
    outstanding_.emplace(m.seq, pending{std::move(route), std::move(id), held, epoch});
    inflight_bytes_ += held;
    round.messages.push_back(std::move(m));
  }

  /// Answers one ZAP request (RFC 27): 200 when the client's CURVE key is in the allow-list,
  /// 400 otherwise. The key itself is never logged.
  void authenticate() {
    std::vector<zmq::message_t> request;
    if (!zmq::recv_multipart(zap_, std::back_inserter(request), zmq::recv_flags::dontwait))
      return;
    // version, request id, domain, address, routing id, mechanism, credentials...
    if (request.size() < 6)
      return; // not ZAP: libzmq is the only peer of this socket
    bool allowed = false;
    if (request[5].to_string_view() == "CURVE" && request.size() == 7 && request[6].size() == 32) {
      char z85[41] = {};
      if (zmq_z85_encode(z85, request[6].data<uint8_t>(), 32))
        allowed = curve_->allowed_clients.contains(z85);
    }
    auto address = request[3].to_string();
    if (!allowed) {
      stream_metrics::get().auth_denied.inc();
      auto now = clock::now();
      auto& last = denials_logged_[address];
      if (last == clock::time_point{} || now - last >= denial_log_interval) {
        log::warn(component, "client refused: its CURVE key is not in the allow-list",
                  {{"address", address}, {"file", cfg_.curve_allowed_keys_file}});
        last = now;
      }
    }
    std::array<zmq::const_buffer, 6> reply{
        zmq::str_buffer("1.0"),
        zmq::buffer(request[1].data(), request[1].size()),
        allowed ? zmq::str_buffer("200") : zmq::str_buffer("400"),
        allowed ? zmq::str_buffer("OK") : zmq::str_buffer("client key not allowed"),
        zmq::str_buffer(""),
        zmq::str_buffer("")};
    zmq::send_multipart(zap_, reply);
  }

  bool has_room() const {
    return outstanding_.size() + parked_.size() < static_cast<size_t>(cfg_.max_inflight_messages)
           && inflight_bytes_ + parked_bytes_ < static_cast<uint64_t>(cfg_.max_inflight_bytes);
  }

  /// Takes the replies the actor handed over and answers them.
  void take_replies() {
    zmq::message_t wake;
    while (pull_.recv(wake, zmq::recv_flags::dontwait)) {
    }
    std::vector<message_reply> replies;
    std::deque<feed_batch> feed;
    {
      std::lock_guard guard{replies_mutex_};
      replies.swap(replies_);
      feed.swap(feed_queue_);
      feed_queue_bytes_ = 0;
    }
    for (const auto& r : replies)
      answer(r.seq, r.body);
    for (auto& b : feed)
      publish(b);
  }

  /// Sends one committed batch's events on the feed: ["events", batch number, NDJSON].
  void publish(feed_batch& b) {
    const auto& m = stream_metrics::get();
    auto number = std::to_string(++feed_batches_);
    std::array<zmq::const_buffer, 3> frames{zmq::str_buffer("events"), zmq::buffer(number),
                                            zmq::buffer(b.ndjson)};
    if (!zmq::send_multipart(*feed_, frames, zmq::send_flags::dontwait)) {
      m.feed_batches_dropped.inc();
      return;
    }
    m.feed_batches.inc();
    m.feed_events.inc(b.events);
  }

  void run() {
    std::optional<clock::time_point> drain_deadline;
    uint64_t epoch = links_->batcher().second;
    std::vector<zmq::message_t> frames;
    while (!stop_) {
      const bool draining = draining_; // one value per round: the actor may set it any time
      if (draining && !drain_deadline) {
        drain_deadline = clock::now() + std::chrono::milliseconds{cfg_.drain_timeout_ms};
        log::info(component, "stopped reading; waiting for held messages to be answered",
                  {{"messages", outstanding_.size()}});
      }
      bool read = !draining && has_room();
      zmq::pollitem_t items[] = {
          {router_.handle(), 0, static_cast<short>(read ? ZMQ_POLLIN : 0), 0},
          {pull_.handle(), 0, ZMQ_POLLIN, 0},
          {zap_.handle(), 0, static_cast<short>(curve_ ? ZMQ_POLLIN : 0), 0}};
      zmq::poll(items, 3,
                parked_.empty()
                    ? std::chrono::milliseconds{50}
                    : std::chrono::duration_cast<std::chrono::milliseconds>(parked_retry_interval));
      if (items[2].revents & ZMQ_POLLIN)
        authenticate();
      // Replies first: they free room.
      send_parked();
      take_replies();
      // A restarted batcher never answers what its predecessor held: producers resend.
      auto [batcher, current] = links_->batcher();
      if (current != epoch) {
        answer_all_retry("the service restarted a component holding this message; resend (if "
                         "it did commit, the resend is answered duplicate)",
                         current);
        epoch = current;
      }
      raw_messages round;
      round_started_us_ = now_us();
      for (int i = 0; read && i < max_reads_per_round && has_room(); ++i) {
        frames.clear();
        if (!zmq::recv_multipart(router_, std::back_inserter(frames), zmq::recv_flags::dontwait))
          break;
        read_request(frames, batcher, current, round);
      }
      if (!round.messages.empty())
        caf::anon_send(batcher, std::move(round));
      update_gauges();
      if (draining) {
        if (outstanding_.empty() && parked_.empty())
          break;
        if (clock::now() >= *drain_deadline) {
          log::warn(component, "drain timeout; answering retry to messages not yet committed",
                    {{"messages", outstanding_.size()}});
          answer_all_retry("the service is stopping before this message was committed; resend "
                           "(if it did commit meanwhile, the resend is answered duplicate)",
                           UINT64_MAX);
          send_parked();
          break;
        }
      }
    }
    if (draining_)
      if (auto owner = caf::actor_cast<broker_listener_actor>(owner_))
        caf::anon_send(owner, drained_atom::value);
  }

  broker_config cfg_;
  std::shared_ptr<stream_links> links_;
  caf::actor_addr owner_;
  std::shared_ptr<const curve_server_keys> curve_; ///< null: no CURVE
  zmq::context_t ctx_{1};
  zmq::socket_t router_{ctx_, zmq::socket_type::router};
  zmq::socket_t pull_{ctx_, zmq::socket_type::pull};
  zmq::socket_t push_{ctx_, zmq::socket_type::push};
  zmq::socket_t zap_{ctx_, zmq::socket_type::rep};
  std::optional<zmq::socket_t> feed_; ///< the live feed's PUB socket (broker.publish_endpoint)
  std::mutex replies_mutex_;
  std::vector<message_reply> replies_; ///< handed over by the actor, not yet taken
  std::deque<feed_batch> feed_queue_; ///< handed over by the actor, not yet published
  uint64_t feed_queue_bytes_ = 0;
  uint64_t feed_batches_ = 0; ///< batches numbered so far (poll thread)
  std::atomic<bool> stop_{false};
  std::atomic<bool> draining_{false};
  // -- owned by the poll thread --
  std::unordered_map<uint64_t, pending> outstanding_;
  uint64_t inflight_bytes_ = 0;
  std::deque<parked> parked_;
  uint64_t parked_bytes_ = 0;
  /// How many parked replies each route has (a route with any sends behind them).
  std::unordered_map<std::string, size_t> parked_routes_;
  int64_t round_started_us_ = 0;
  clock::time_point undeliverable_logged_{};
  uint64_t undeliverable_since_log_ = 0;
  uint64_t next_seq_ = 0;
  bool paused_ = false;
  std::unordered_map<std::string, clock::time_point> denials_logged_;
  std::thread thread_;
};

broker_listener_state::broker_listener_state() = default;
broker_listener_state::~broker_listener_state() = default;

broker_listener_actor::behavior_type
broker_listener(broker_listener_actor::stateful_pointer<broker_listener_state> self,
                broker_config cfg, std::shared_ptr<stream_links> links,
                std::shared_ptr<const curve_server_keys> curve) {
  try {
    auto allowed = curve ? curve->allowed_clients.size() : 0;
    self->state.poller = std::make_unique<broker_poller>(cfg, links, self->address(), curve);
    log::info(component, "listening",
              {{"endpoint", cfg.endpoint},
               {"publish_endpoint", cfg.publish_endpoint},
               {"curve", curve != nullptr},
               {"allowed_keys", allowed}});
  } catch (const zmq::error_t& e) {
    log::error(component, "cannot bind the broker socket or the live feed's",
               {{"endpoint", cfg.endpoint},
                {"publish_endpoint", cfg.publish_endpoint},
                {"error", e.what()}});
    self->quit(
        caf::make_error(caf::sec::runtime_error,
                        "cannot bind " + cfg.endpoint
                            + (cfg.publish_endpoint.empty() ? "" : " or " + cfg.publish_endpoint)));
    return {[](reply_batch&) {}, [](drained_atom) {}};
  }
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::user_shutdown && self->state.poller) {
      self->state.poller->drain(); // quits on drained_atom
      return;
    }
    self->state.poller.reset();
    self->quit(msg.reason);
  });
  return {
      [=](reply_batch& replies) {
        if (self->state.poller)
          self->state.poller->send_replies(replies);
      },
      [=](drained_atom) {
        self->state.poller->join();
        self->state.poller.reset();
        log::info(component, "drained; every message read was answered");
        self->quit(caf::exit_reason::user_shutdown);
      },
  };
}

} // namespace scpipe
