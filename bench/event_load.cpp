// The event-stream benchmark's load generator: the same deterministic events as a CSV file for
// psql's \copy, or sent to the service over the ZeroMQ protocol (docs/protocol.md).
//
//   scpipe_bench_event_load gen-csv N FILE
//       N events as CSV rows for
//       \copy sc.sc_user_event(user_id, platform, event_ts, event_type, first_event) from FILE csv
//
//   scpipe_bench_event_load send --endpoint E --events N --batch B --window W
//                                [--rate EVENTS_PER_S] [--id-prefix P] [--first K]
//                                [--duration-s D] [--drain-s S] [--timeout-ms T]
//       Events K .. K+N-1 (the same ones gen-csv writes) in messages of B events (a JSON array
//       each) with ids "P-<seq>", W messages in flight. Paced at --rate events/s when given,
//       else as fast as replies allow. A "retry" reply, or no reply within T ms (default 30000),
//       resends the same id. With --duration-s, no new message is sent after D s and
//       the run ends at most S s (default 10) later, whatever is still unanswered. With no
//       answer at all for --stall-s seconds (default 300) it gives up and exits 1.
//       --producers P sends from P sockets at once (default 1), message k from producer k mod P,
//       each with W in flight and 1/P of --rate; paced, message k is due k * B / rate after the
//       start, so the producers take turns. --threads T (default 1, at most P) drives them:
//       each thread polls its share of the sockets in one loop, so the generator wakes once per
//       round of a thread, not once per message of each producer. The sockets share one ZeroMQ
//       context (one I/O thread), as ZeroMQ advises for one process: with a context each,
//       16 producers took a third more of the machine's CPU per message, in the kernel.
//       --endpoint may be repeated: each producer's DEALER connects to every endpoint (several
//       `scpipe run` instances on one database) and spreads its messages over those it is
//       connected to; a resend may go to another instance.
//       --session on sends each message with a producer-session frame (docs/protocol.md):
//       producer "P.p<k>", sequence = the message's number among that producer's.
//       --latencies FILE writes one line per answered message: its sequence number, when it
//       was first sent (ms since the start) and its ack latency (ms), to look at the tail.
//       Prints one JSON line: events_per_s (events answered / seconds from the first send to
//       the last answer), ack latency p50/p99/max in ms (first send of an id -> its final,
//       non-retry reply), and the count of each reply status.
//
//   scpipe_bench_event_load subscribe ENDPOINT QUIET_S
//       Subscribes to the live feed at ENDPOINT (broker.publish_endpoint, docs/protocol.md) and
//       counts what arrives until nothing has for QUIET_S seconds after the first message (or
//       for 10 * QUIET_S before any). Prints one JSON line: events, distinct (message id,
//       index) pairs, batches, and gaps in the batch numbers.
//
// Event i is a pure function of i: user ids 1..100000, four event types, three platforms,
// times in 2019 (UTC, "Z"), 2 % first events.

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "core/producer_session.hpp"
#include "core/publish_window.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

// -- the events ------------------------------------------------------------------------------

const char* const event_types[] = {"login", "inspection_created", "checklist_created",
                                   "licence_bought"};
const char* const platforms[] = {"ios", "android", "web"};

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct event {
  uint32_t user_id;
  const char* platform;
  const char* type;
  bool first;
  char time[21]; // "2019-05-13T03:11:04Z"
};

/// Civil date of a day count since 1970-01-01 (H. Hinnant's algorithm).
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

event event_at(uint64_t i) {
  const uint64_t h = splitmix64(i);
  event e{};
  e.user_id = static_cast<uint32_t>(1 + h % 100000);
  e.type = event_types[(h >> 20) % 4];
  e.platform = platforms[(h >> 24) % 3];
  e.first = (h >> 28) % 50 == 0;
  constexpr int64_t start_2019 = 1546300800; // 2019-01-01T00:00:00Z
  const int64_t t = start_2019 + static_cast<int64_t>((h >> 32) % (365 * 86400));
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(t / 86400, y, m, d);
  const auto s = static_cast<unsigned>(t % 86400);
  std::snprintf(e.time, sizeof e.time, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, s / 3600,
                s / 60 % 60, s % 60);
  return e;
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

/// The JSON array of events first .. first+count-1.
std::string payload_of(uint64_t first, uint64_t count) {
  std::string out;
  out.reserve(count * 128 + 2);
  out += '[';
  for (uint64_t i = first; i < first + count; ++i) {
    const auto e = event_at(i);
    if (i != first)
      out += ',';
    out += "{\"user_id\":";
    append_uint(out, e.user_id);
    out += ",\"event_type\":\"";
    out += e.type;
    out += "\",\"event_time\":\"";
    out += e.time;
    out += "\",\"platform\":\"";
    out += e.platform;
    out += "\",\"first_event\":";
    out += e.first ? "true" : "false";
    out += '}';
  }
  out += ']';
  return out;
}

int gen_csv(uint64_t n, const char* path) {
  auto* f = std::fopen(path, "w");
  if (!f) {
    std::perror(path);
    return 1;
  }
  for (uint64_t i = 0; i < n; ++i) {
    const auto e = event_at(i);
    std::fprintf(f, "%u,%s,%s,%s,%s\n", e.user_id, e.platform, e.time, e.type,
                 e.first ? "true" : "false");
  }
  if (std::fclose(f) != 0) {
    std::perror(path);
    return 1;
  }
  return 0;
}

// -- send ------------------------------------------------------------------------------------

using clock_type = std::chrono::steady_clock;

struct send_options {
  std::vector<std::string> endpoints; // --endpoint, repeatable: each producer connects to all
  uint64_t events = 0;
  uint64_t batch = 1000;
  uint64_t window = 64;
  double rate = 0; // events/s; 0: as fast as replies allow
  std::string id_prefix = "bench";
  std::string latencies_path; // empty: none written
  uint64_t first = 0;
  double duration_s = 0; // 0: until every message is answered
  double drain_s = 10;
  int64_t timeout_ms = 30000;
  double stall_s = 300; // give up when no message is answered for this long
  uint64_t producers = 1;
  uint64_t threads = 1; // threads driving the producers
  bool session = false; // send the producer-session frame
};

/// Runs of at most this many events have their payloads built before sending starts.
constexpr uint64_t precompute_max_events = 4'000'000;

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  // Nearest rank.
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

/// What one producer saw.
struct producer_result {
  uint64_t events = 0;   // events of the messages sent
  uint64_t messages = 0; // messages sent
  uint64_t answered = 0;
  uint64_t events_answered = 0;
  uint64_t accepted = 0;
  uint64_t rejected_events = 0;
  uint64_t resends = 0;
  uint64_t timeouts = 0;
  uint64_t stray = 0; // replies for unknown or already answered ids
  std::map<std::string, uint64_t> statuses;
  std::vector<double> latency_ms;
  double max_send_lag_ms = 0;
  clock_type::time_point start;
  clock_type::time_point last_answer;
  bool stalled = false;
};

/// Producer `k` of `producers`: one DEALER socket sending messages k, k + producers, k + 2 *
/// producers, ... through core/publish_window, the in-flight bookkeeping `scpipe publish` uses
/// (resend under the same id after --timeout-ms, again 100 ms after a `retry`, never give up),
/// paced by its share of --rate (in turn with the others), and timing each message from its first
/// send to its final reply. It does not own a thread: drive() runs several producers in one, so
/// that paced producers cost the machine one wake-up per round of their thread, not one per message
/// each.
class producer {
public:
  producer(const send_options& opt, uint64_t k, zmq::context_t& ctx)
      : opt_{opt}, k_{k}, messages_{local_messages(opt, k)},
        rate_{opt.rate / static_cast<double>(opt.producers)}, sock_{ctx, zmq::socket_type::dealer},
        prefix_{opt.id_prefix + "-"}, session_producer_{opt.id_prefix + ".p" + std::to_string(k)},
        window_{window_settings_of(opt)}, first_sent_(messages_) {
    const int hwm = static_cast<int>(std::max<uint64_t>(opt.window * 2, 1000));
    sock_.set(zmq::sockopt::linger, 0);
    sock_.set(zmq::sockopt::sndhwm, hwm);
    sock_.set(zmq::sockopt::rcvhwm, hwm);
    if (opt.endpoints.size() > 1)
      sock_.set(zmq::sockopt::immediate,
                1); // as scpipe publish: none queued for a service that is down
    for (const auto& e : opt.endpoints)
      sock_.connect(e);
    // Payloads are built before the clock starts (up to a few hundred MiB), so the generator's
    // own JSON writing does not compete with the service for the machine's cores.
    if (opt.events <= precompute_max_events)
      for (uint64_t j = 0; j < messages_; ++j)
        prebuilt_.push_back(message_of(j));
    r_.latency_ms.reserve(messages_);
  }

  /// Starts its clock: message j is due `j * batch / rate` after `start`.
  void start(clock_type::time_point start) {
    start_ = start;
    r_.start = r_.last_answer = start;
    const auto seconds = [](double s) {
      return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
    };
    send_until_ =
        opt_.duration_s > 0 ? start + seconds(opt_.duration_s) : clock_type::time_point::max();
    end_by_ =
        opt_.duration_s > 0 ? send_until_ + seconds(opt_.drain_s) : clock_type::time_point::max();
    stall_ = seconds(opt_.stall_s);
  }

  /// Whether it is done: every message answered, its time up, or no answer for --stall-s.
  bool finished(clock_type::time_point now) {
    if (window_.size() == 0 && !(next_ < messages_ && now < send_until_))
      return true;
    if (now >= end_by_)
      return true;
    if (window_.size() > 0 && now - r_.last_answer > stall_) {
      r_.stalled = true;
      return true;
    }
    return false;
  }

  /// Sends what is due: new messages within the window and the pace, then first sends and
  /// resends (after a timeout or a `retry`), the longest due first, until the socket refuses.
  void send_due(clock_type::time_point now) {
    while (next_ < messages_ && window_.has_room() && now < send_until_ && intended(next_) <= now) {
      window_.add(prebuilt_.empty() ? message_of(next_) : std::move(prebuilt_[next_]), now);
      ++next_;
    }
    blocked_ = false;
    while (auto order = window_.next_send(now)) {
      const auto& m = *order->message;
      if (!sock_.send(zmq::buffer(m.id), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        blocked_ = true; // high-water mark
        break;
      }
      if (opt_.session) {
        sock_.send(zmq::buffer(m.payload), zmq::send_flags::sndmore);
        sock_.send(zmq::buffer(scpipe::session_frame({session_producer_, *local_of(m.id)})),
                   zmq::send_flags::none);
      } else {
        sock_.send(zmq::buffer(m.payload), zmq::send_flags::none);
      }
      auto sent_at = clock_type::now();
      if (order->reason == scpipe::send_reason::first) {
        auto j = *local_of(m.id);
        first_sent_[j] = sent_at;
        if (rate_ > 0) // how far behind its schedule a paced send went out
          r_.max_send_lag_ms = std::max(r_.max_send_lag_ms, ms_between(intended(j), sent_at));
      } else if (order->reason == scpipe::send_reason::timeout) {
        ++r_.timeouts;
      }
      window_.sent(m.id, sent_at);
    }
  }

  /// When it next has something to send (the next paced message, the next resend), at the
  /// latest 100 ms from `now`; a reply or room on the socket wakes its thread earlier.
  clock_type::time_point wake(clock_type::time_point now) const {
    auto wake = now + std::chrono::milliseconds{100};
    if (next_ < messages_ && window_.has_room() && now < send_until_)
      wake = std::min(wake, intended(next_));
    if (auto due = window_.next_due())
      wake = std::min(wake, *due);
    return wake;
  }

  /// What its thread polls for: replies, and room to send when the socket refused a send.
  zmq::pollitem_t poll_item() {
    return {sock_.handle(), 0, static_cast<short>(ZMQ_POLLIN | (blocked_ ? ZMQ_POLLOUT : 0)), 0};
  }

  /// Takes every reply waiting on the socket.
  void receive(std::FILE* latencies, std::mutex& latencies_mutex) {
    for (;;) {
      frames_.clear();
      auto got = zmq::recv_multipart(sock_, std::back_inserter(frames_), zmq::recv_flags::dontwait);
      if (!got)
        return;
      auto at = clock_type::now();
      auto j = frames_.size() == 2 ? local_of(frames_[0].to_string_view()) : std::nullopt;
      if (!j) {
        ++r_.stray;
        continue;
      }
      auto status = scpipe::reply_status::retry;
      auto outcome = window_.on_reply(frames_[0].to_string_view(), frames_[1].to_string_view(), at,
                                      nullptr, &status);
      if (outcome == scpipe::reply_outcome::unknown) {
        ++r_.stray;
        continue;
      }
      ++r_.statuses[outcome == scpipe::reply_outcome::bad_reply
                        ? std::string{"unparsable"}
                        : std::string{scpipe::to_string(status)}];
      if (outcome != scpipe::reply_outcome::final && outcome != scpipe::reply_outcome::bad_reply)
        continue;
      ++r_.answered;
      r_.events_answered += events_of(seq_of_local(*j));
      r_.latency_ms.push_back(ms_between(first_sent_[*j], at));
      if (latencies) {
        std::lock_guard guard{latencies_mutex};
        std::fprintf(latencies, "%llu %.3f %.3f\n",
                     static_cast<unsigned long long>(seq_of_local(*j)),
                     ms_between(start_, first_sent_[*j]), r_.latency_ms.back());
      }
      r_.last_answer = at;
    }
  }

  /// What it saw; once finished().
  producer_result result() {
    const auto& summary = window_.summary();
    r_.accepted = summary.accepted_events;
    r_.rejected_events = summary.rejected_events;
    r_.resends = summary.resends;
    r_.messages = next_;
    for (uint64_t j = 0; j < next_; ++j)
      r_.events += events_of(seq_of_local(j));
    return std::move(r_);
  }

  uint64_t number() const {
    return k_;
  }

private:
  static uint64_t local_messages(const send_options& opt, uint64_t k) {
    const uint64_t all_messages = (opt.events + opt.batch - 1) / opt.batch;
    return all_messages / opt.producers + (k < all_messages % opt.producers);
  }

  static scpipe::window_settings window_settings_of(const send_options& opt) {
    scpipe::window_settings settings;
    settings.capacity = opt.window;
    settings.reply_timeout = std::chrono::milliseconds{opt.timeout_ms};
    settings.retry_initial = settings.retry_max = std::chrono::milliseconds{100};
    settings.max_attempts = 0;
    return settings;
  }

  uint64_t seq_of_local(uint64_t j) const {
    return k_ + j * opt_.producers;
  }

  uint64_t events_of(uint64_t seq) const {
    return std::min(opt_.batch, opt_.first + opt_.events - (opt_.first + seq * opt_.batch));
  }

  scpipe::outgoing_message message_of(uint64_t j) const {
    const auto seq = seq_of_local(j);
    scpipe::outgoing_message m;
    m.id = prefix_ + std::to_string(seq);
    m.payload = payload_of(opt_.first + seq * opt_.batch, events_of(seq));
    m.lines.resize(events_of(seq));
    return m;
  }

  /// When its message j is due: the run's messages, in sequence order, evenly spaced at --rate.
  /// So the producers take turns rather than all sending at once (with 16 producers of
  /// 1000-event messages at 80k events/s, sending together made bursts of 16 messages every
  /// 200 ms, and half the ack latency was the burst waiting on itself).
  clock_type::time_point intended(uint64_t j) const {
    if (rate_ <= 0)
      return start_;
    auto offset = std::chrono::duration<double>(static_cast<double>(seq_of_local(j) * opt_.batch)
                                                / opt_.rate);
    return start_ + std::chrono::duration_cast<clock_type::duration>(offset);
  }

  /// The local number of a reply's id, when it is one of this producer's messages.
  std::optional<uint64_t> local_of(std::string_view id) const {
    uint64_t v = 0;
    auto digits = id.substr(std::min(prefix_.size(), id.size()));
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (!id.starts_with(prefix_) || ec != std::errc{} || p != digits.data() + digits.size()
        || v % opt_.producers != k_ || v / opt_.producers >= messages_)
      return std::nullopt;
    return v / opt_.producers;
  }

  const send_options& opt_;
  const uint64_t k_;
  const uint64_t messages_;
  const double rate_; // this producer's share of --rate, events/s (0: not paced)
  zmq::socket_t sock_;
  const std::string prefix_;
  const std::string session_producer_; // with --session: its producer id
  scpipe::publish_window window_;
  std::vector<scpipe::outgoing_message> prebuilt_;
  std::vector<clock_type::time_point> first_sent_;
  std::vector<zmq::message_t> frames_;
  producer_result r_;
  uint64_t next_ = 0;    // its next new message (local number)
  bool blocked_ = false; // the socket refused its last send
  clock_type::time_point start_, send_until_, end_by_;
  clock_type::duration stall_{};
};

/// Thread `t` of `threads`: drives producers t, t + threads, ... in one loop (send what is due,
/// poll every socket until the earliest wake-up, take the replies) and leaves each producer's
/// result in `results`. Every thread starts the clock when `ready` opens.
void drive(const send_options& opt, uint64_t t, zmq::context_t& ctx, std::latch& ready,
           std::vector<producer_result>& results, std::FILE* latencies,
           std::mutex& latencies_mutex) {
  std::vector<std::unique_ptr<producer>> active;
  for (uint64_t k = t; k < opt.producers; k += opt.threads)
    active.push_back(std::make_unique<producer>(opt, k, ctx));
  ready.arrive_and_wait();
  const auto start = clock_type::now();
  for (auto& p : active)
    p->start(start);
  std::vector<zmq::pollitem_t> items;
  while (!active.empty()) {
    const auto now = clock_type::now();
    auto wake = clock_type::time_point::max();
    items.clear();
    for (auto it = active.begin(); it != active.end();) {
      auto& p = **it;
      if (p.finished(now)) {
        results[p.number()] = p.result();
        it = active.erase(it);
        continue;
      }
      p.send_due(now);
      wake = std::min(wake, p.wake(now));
      items.push_back(p.poll_item());
      ++it;
    }
    if (active.empty())
      break;
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    zmq::poll(items.data(), items.size(), std::max(wait, std::chrono::milliseconds{0}));
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].revents != 0)
        active[i]->receive(latencies, latencies_mutex);
  }
}

/// Runs --producers producers at once and prints what they saw together.
int send(const send_options& opt) {
  std::FILE* latencies = nullptr;
  if (!opt.latencies_path.empty() && !(latencies = std::fopen(opt.latencies_path.c_str(), "w"))) {
    std::perror(opt.latencies_path.c_str());
    return 1;
  }
  std::mutex latencies_mutex;
  std::latch ready{static_cast<std::ptrdiff_t>(opt.threads)};
  std::vector<producer_result> results(opt.producers);
  {
    zmq::context_t ctx{1};
    std::vector<std::jthread> threads;
    for (uint64_t t = 0; t < opt.threads; ++t)
      threads.emplace_back(
          [&, t] { drive(opt, t, ctx, ready, results, latencies, latencies_mutex); });
  }
  if (latencies)
    std::fclose(latencies);

  producer_result all;
  all.start = results.front().start;
  all.last_answer = results.front().last_answer;
  for (auto& r : results) {
    all.events += r.events;
    all.messages += r.messages;
    all.answered += r.answered;
    all.events_answered += r.events_answered;
    all.accepted += r.accepted;
    all.rejected_events += r.rejected_events;
    all.resends += r.resends;
    all.timeouts += r.timeouts;
    all.stray += r.stray;
    for (const auto& [status, n] : r.statuses)
      all.statuses[status] += n;
    all.latency_ms.insert(all.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    all.max_send_lag_ms = std::max(all.max_send_lag_ms, r.max_send_lag_ms);
    all.start = std::min(all.start, r.start);
    all.last_answer = std::max(all.last_answer, r.last_answer);
    all.stalled = all.stalled || r.stalled;
  }
  const double seconds = std::chrono::duration<double>(all.last_answer - all.start).count();
  std::sort(all.latency_ms.begin(), all.latency_ms.end());
  std::string statuses_json;
  for (const auto& [k, v] : all.statuses)
    statuses_json += (statuses_json.empty() ? "\"" : ",\"") + k + "\":" + std::to_string(v);
  // Hand-written so the figures stay plain decimals a shell script can read.
  std::printf(
      "{\"events\":%llu,\"messages\":%llu,\"answered\":%llu,\"unanswered\":%llu,"
      "\"producers\":%llu,\"seconds\":%.3f,\"events_per_s\":%.0f,\"p50_ms\":%.2f,"
      "\"p99_ms\":%.2f,\"max_ms\":%.2f,\"max_send_lag_ms\":%.2f,\"statuses\":{%s},"
      "\"accepted\":%llu,\"rejected_events\":%llu,\"resends\":%llu,\"timeouts\":%llu,"
      "\"stray_replies\":%llu,\"stalled\":%s}\n",
      static_cast<unsigned long long>(all.events), static_cast<unsigned long long>(all.messages),
      static_cast<unsigned long long>(all.answered),
      static_cast<unsigned long long>(all.messages - all.answered),
      static_cast<unsigned long long>(opt.producers), seconds,
      seconds > 0 ? static_cast<double>(all.events_answered) / seconds : 0.0,
      percentile(all.latency_ms, 50), percentile(all.latency_ms, 99),
      all.latency_ms.empty() ? 0.0 : all.latency_ms.back(), all.max_send_lag_ms,
      statuses_json.c_str(), static_cast<unsigned long long>(all.accepted),
      static_cast<unsigned long long>(all.rejected_events),
      static_cast<unsigned long long>(all.resends), static_cast<unsigned long long>(all.timeouts),
      static_cast<unsigned long long>(all.stray), all.stalled ? "true" : "false");
  std::fflush(stdout);
  if (all.stalled)
    std::fprintf(stderr, "no message answered for %g s; giving up\n", opt.stall_s);
  return all.stalled ? 1 : 0;
}

// -- the live feed ---------------------------------------------------------------------------

int subscribe(const std::string& endpoint, double quiet_s) {
  zmq::context_t ctx{1};
  zmq::socket_t sub{ctx, zmq::socket_type::sub};
  sub.set(zmq::sockopt::rcvhwm, 0); // count what the service sent, not this process's queue
  sub.set(zmq::sockopt::subscribe, "events");
  sub.connect(endpoint);
  uint64_t events = 0, batches = 0, gaps = 0, last = 0;
  std::unordered_set<std::string> keys;
  std::vector<zmq::message_t> frames;
  for (;;) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    auto wait = std::chrono::milliseconds{static_cast<int64_t>(quiet_s * (batches ? 1000 : 10000))};
    if (zmq::poll(&item, 1, wait) == 0)
      break;
    frames.clear();
    if (!zmq::recv_multipart(sub, std::back_inserter(frames)) || frames.size() != 3)
      return 1;
    auto number = std::stoull(frames[1].to_string());
    if (batches && number != last + 1)
      ++gaps;
    last = number;
    ++batches;
    std::string_view ndjson{static_cast<const char*>(frames[2].data()), frames[2].size()};
    // {"message_id":"<hex>","index":<n>,...}: the key is the text up to the third comma.
    for (size_t start = 0; start < ndjson.size();) {
      auto nl = ndjson.find('\n', start);
      auto line = ndjson.substr(start, nl - start);
      auto comma = line.find(',', line.find(',') + 1);
      keys.emplace(line.substr(0, comma));
      ++events;
      start = nl + 1;
    }
  }
  std::printf("{\"events\":%llu,\"distinct\":%zu,\"batches\":%llu,\"gaps\":%llu}\n",
              static_cast<unsigned long long>(events), keys.size(),
              static_cast<unsigned long long>(batches), static_cast<unsigned long long>(gaps));
  return 0;
}

// -- command line ----------------------------------------------------------------------------

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s gen-csv N FILE\n"
               "       %s send --endpoint E [--endpoint E2 ...] --events N --batch B --window W "
               "[--rate EVENTS_PER_S]\n"
               "            [--id-prefix P] [--first K] [--duration-s D] [--drain-s S]"
               " [--timeout-ms T] [--stall-s S] [--latencies FILE]\n"
               "            [--producers P] [--threads T] [--session on|off]\n"
               "       %s subscribe ENDPOINT QUIET_S\n",
               argv0, argv0, argv0);
  std::exit(2);
}

uint64_t to_count(const char* argv0, std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size())
    usage(argv0);
  return v;
}

double to_double(const char* argv0, const char* text) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= 0))
    usage(argv0);
  return v;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    usage(argv[0]);
  std::string_view mode = argv[1];
  if (mode == "gen-csv") {
    if (argc != 4)
      usage(argv[0]);
    return gen_csv(to_count(argv[0], argv[2]), argv[3]);
  }
  if (mode == "subscribe") {
    if (argc != 4)
      usage(argv[0]);
    return subscribe(argv[2], to_double(argv[0], argv[3]));
  }
  if (mode != "send")
    usage(argv[0]);
  send_options opt;
  for (int i = 2; i < argc; i += 2) {
    if (i + 1 >= argc)
      usage(argv[0]);
    std::string_view key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--endpoint")
      opt.endpoints.emplace_back(value);
    else if (key == "--events")
      opt.events = to_count(argv[0], value);
    else if (key == "--batch")
      opt.batch = to_count(argv[0], value);
    else if (key == "--window")
      opt.window = to_count(argv[0], value);
    else if (key == "--rate")
      opt.rate = to_double(argv[0], value);
    else if (key == "--id-prefix")
      opt.id_prefix = value;
    else if (key == "--first")
      opt.first = to_count(argv[0], value);
    else if (key == "--duration-s")
      opt.duration_s = to_double(argv[0], value);
    else if (key == "--drain-s")
      opt.drain_s = to_double(argv[0], value);
    else if (key == "--latencies")
      opt.latencies_path = value;
    else if (key == "--stall-s")
      opt.stall_s = to_double(argv[0], value);
    else if (key == "--session")
      opt.session = value == std::string_view{"on"};
    else if (key == "--producers")
      opt.producers = to_count(argv[0], value);
    else if (key == "--threads")
      opt.threads = to_count(argv[0], value);
    else if (key == "--timeout-ms")
      opt.timeout_ms = static_cast<int64_t>(to_count(argv[0], value));
    else
      usage(argv[0]);
  }
  if (opt.endpoints.empty() || opt.events == 0 || opt.batch == 0 || opt.window == 0
      || opt.producers == 0 || opt.producers > 1024 || opt.threads == 0
      || opt.threads > opt.producers || opt.id_prefix.empty() || opt.id_prefix.size() > 200)
    usage(argv[0]);
  return send(opt);
}
