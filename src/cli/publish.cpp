#include "cli/publish.hpp"

#include "cli/progress.hpp"
#include "core/curve_keys.hpp"
#include "core/event_files.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "core/publish_messages.hpp"
#include "core/publish_window.hpp"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <unistd.h>
#include <variant>

namespace scpipe::cli {

namespace {

constexpr const char* component = "publish";

// -- options ---------------------------------------------------------------------------------

struct publish_options {
  size_t batch = batch_flag.fallback;
  window_settings window;
  std::optional<std::string> id_prefix; ///< nothing: a random one
  /// CURVE: this client's key pair and the service's public key; nothing: plain TCP.
  std::optional<curve_key_pair> client_key;
  std::string server_key;
};

/// Reads `flag` as an integer in [lo, hi] into `value` (left alone when the flag is absent).
std::optional<std::string> read_integer_flag(const invocation& inv, std::string_view flag,
                                             int64_t lo, int64_t hi, int64_t& value) {
  auto text = inv.value(flag);
  if (!text)
    return std::nullopt;
  int64_t parsed = 0;
  const auto* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, parsed);
  if (text->empty() || ec != std::errc{} || ptr != end || parsed < lo || parsed > hi)
    return std::string{flag} + ": must be an integer in [" + std::to_string(lo) + ", "
           + std::to_string(hi) + "], got \"" + *text + "\"";
  value = parsed;
  return std::nullopt;
}

std::variant<publish_options, std::string> parse_options(const invocation& inv) {
  publish_options out;
  auto read = [&](const integer_flag& flag, int64_t& value) {
    value = flag.fallback;
    return read_integer_flag(inv, flag.name, flag.min, flag.max, value);
  };
  int64_t batch, window, timeout_ms, max_attempts;
  for (auto [flag, value] :
       {std::pair{&batch_flag, &batch}, std::pair{&window_flag, &window},
        std::pair{&timeout_flag, &timeout_ms}, std::pair{&attempts_flag, &max_attempts}})
    if (auto e = read(*flag, *value))
      return *e;
  out.batch = static_cast<size_t>(batch);
  out.window.capacity = static_cast<size_t>(window);
  out.window.reply_timeout = std::chrono::milliseconds{timeout_ms};
  out.window.max_attempts = static_cast<size_t>(max_attempts);
  if (auto prefix = inv.value("--id-prefix")) {
    if (auto problem = check_id_prefix(*prefix))
      return "--id-prefix: " + *problem;
    out.id_prefix = *prefix;
  }
  auto client_file = inv.value("--client-key");
  auto server_file = inv.value("--server-key");
  if (client_file.has_value() != server_file.has_value())
    return "--client-key and --server-key go together (CURVE needs both)";
  if (client_file) {
    auto client = load_curve_certificate(std::string{*client_file}, true);
    if (auto* e = std::get_if<std::string>(&client))
      return "--client-key: " + *e;
    auto server = load_curve_certificate(std::string{*server_file}, false);
    if (auto* e = std::get_if<std::string>(&server))
      return "--server-key: " + *e;
    out.client_key = std::get<curve_key_pair>(std::move(client));
    out.server_key = std::get<curve_key_pair>(server).public_key;
  }
  return out;
}

/// 32 random hex digits: ids unique to this run.
std::string random_prefix() {
  unsigned char bytes[16];
  std::ifstream in{"/dev/urandom", std::ios::binary};
  if (!in.read(reinterpret_cast<char*>(bytes), sizeof bytes))
    throw std::runtime_error{"cannot read /dev/urandom for the message ids (give --id-prefix)"};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// -- input -----------------------------------------------------------------------------------

/// A problem with an input file; the message names the file and, where known, the line.
class input_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The files, one after another, as messages: one chunk is read at a time, and only when the
/// caller asks, so memory stays within the messages in flight plus one chunk's worth.
class message_source {
public:
  message_source(const std::vector<std::string>& files, message_builder builder)
      : files_{files}, builder_{std::move(builder)}, buffer_(chunk_size) {}

  /// Appends the messages the next chunk completes to `ready` (possibly none); false when
  /// every file is read. Throws input_error.
  bool read_more(std::deque<outgoing_message>& ready) {
    if (!in_.is_open() && !open_next())
      return false;
    const auto& path = files_[index_ - 1];
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    auto n = static_cast<size_t>(in_.gcount());
    if (in_.bad())
      throw input_error{path + ": read error: " + std::strerror(errno)};
    bytes_ += n;
    auto err = n == 0 ? reader_->finish(events_)
                      : reader_->feed(std::string_view{buffer_.data(), n}, events_);
    if (err)
      throw input_error{path + ":" + std::to_string(err->line) + ": " + err->message};
    std::vector<outgoing_message> done;
    for (auto& e : events_)
      builder_.add(std::move(e), done);
    events_.clear();
    if (n == 0) {
      builder_.flush(done);
      in_.close();
      shown_.reset();
    }
    for (auto& m : done)
      ready.push_back(std::move(m));
    return true;
  }

  /// Redraws the progress line (on a terminal) with `answered` events.
  void show(size_t answered) {
    if (shown_)
      shown_->update(bytes_, answered);
  }

  void hide() {
    if (shown_)
      shown_->done();
  }

private:
  static constexpr size_t chunk_size = 256 << 10;

  bool open_next() {
    if (index_ == files_.size())
      return false;
    const auto& path = files_[index_++];
    in_.open(path, std::ios::binary);
    if (!in_)
      throw input_error{path + ": cannot open: " + std::strerror(errno)};
    reader_.emplace(event_file_format_of(path));
    builder_.start_file(index_);
    bytes_ = 0;
    std::error_code size_error;
    auto total = std::filesystem::file_size(path, size_error);
    shown_.emplace(path, size_error ? 0 : static_cast<size_t>(total));
    return true;
  }

  const std::vector<std::string>& files_;
  message_builder builder_;
  std::vector<char> buffer_;
  size_t index_ = 0; ///< files opened so far; the current one is files_[index_ - 1]
  std::ifstream in_;
  std::optional<event_file_reader> reader_;
  std::vector<event_text> events_;
  size_t bytes_ = 0;
  std::optional<progress> shown_;
};

// -- signals ---------------------------------------------------------------------------------

/// SIGINT and SIGTERM write a byte to a pipe the poll loop watches (no race between a check
/// and the wait, nothing done inside the handler); the previous handlers come back after.
class signal_pipe {
public:
  signal_pipe() {
    if (pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0)
      throw std::runtime_error{std::string{"pipe: "} + std::strerror(errno)};
    write_fd_ = fds_[1];
    struct sigaction action {};
    action.sa_handler = &on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }

  ~signal_pipe() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    write_fd_ = -1;
    close(fds_[0]);
    close(fds_[1]);
  }

  signal_pipe(const signal_pipe&) = delete;
  signal_pipe& operator=(const signal_pipe&) = delete;

  int fd() const {
    return fds_[0];
  }

private:
  static void on_signal(int) {
    auto saved = errno;
    char byte = 1;
    if (write_fd_ >= 0 && write(write_fd_, &byte, 1) < 0) {
      // full: a signal is pending already
    }
    errno = saved;
  }

  static inline volatile sig_atomic_t write_fd_ = -1;
  int fds_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// -- the socket ------------------------------------------------------------------------------

/// Sends [id, payload]; false when the socket cannot take it now (high-water mark).
bool try_send(zmq::socket_t& socket, const outgoing_message& m) {
  if (!socket.send(zmq::buffer(m.id), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
    return false;
  // The first frame was taken, so the rest of the message is too (ZeroMQ sends multipart
  // messages atomically): this does not block.
  (void)socket.send(zmq::buffer(m.payload), zmq::send_flags::none);
  return true;
}

/// Whether the DEALER has a connection to the service: ZeroMQ connects (and reconnects) in the
/// background and never reports a failure to the socket itself, so its monitor is asked. Used
/// only to say what is wrong when nothing answers.
class connection_watch {
public:
  /// Must come before socket.connect(), to see the first connection.
  connection_watch(zmq::context_t& context, zmq::socket_t& socket)
      : events_{context, zmq::socket_type::pair} {
    static constexpr const char* address = "inproc://scpipe-publish-monitor";
    if (zmq_socket_monitor(socket.handle(), address, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED)
        != 0)
      throw zmq::error_t{};
    events_.connect(address);
  }

  zmq::socket_t& socket() {
    return events_;
  }

  /// Reads the events that arrived.
  void take_events() {
    for (;;) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(events_, std::back_inserter(frames), zmq::recv_flags::dontwait))
        return;
      if (frames.empty() || frames[0].size() < sizeof(uint16_t))
        continue;
      uint16_t event = 0;
      std::memcpy(&event, frames[0].data(), sizeof event);
      if (event == ZMQ_EVENT_CONNECTED)
        connected_ = ever_connected_ = true;
      else if (event == ZMQ_EVENT_DISCONNECTED)
        connected_ = false;
    }
  }

  bool connected() const {
    return connected_;
  }
  bool ever_connected() const {
    return ever_connected_;
  }

private:
  zmq::socket_t events_;
  bool connected_ = false;
  bool ever_connected_ = false;
};

/// Said once, at the first timeout when no reply has come at all: what the user can check.
std::string nothing_answers(const std::string& endpoint, const connection_watch& watch,
                            std::chrono::milliseconds timeout, bool curve) {
  std::string why;
  if (!watch.ever_connected())
    why = "no connection to it could be made: is `scpipe run` running there, and is "
          "broker.endpoint (SCPIPE_BROKER_ENDPOINT) right?";
  else if (curve)
    why = std::string{watch.connected() ? "the connection is up" : "a connection was made"}
          + ", but nothing replies: is it `scpipe run`, and does its CURVE allow-list hold this "
            "client's key (a refused key gets no reply)?";
  else
    why = std::string{watch.connected() ? "the connection is up" : "a connection was made"}
          + ", but nothing replies: is it `scpipe run`, or is it overloaded?";
  return "nothing answers at " + endpoint + " within --timeout-ms ("
         + std::to_string(timeout.count()) + " ms): " + why
         + " Resending under the same ids, up to --max-attempts.";
}

/// Takes the replies that arrived; returns how many.
size_t take_replies(zmq::socket_t& socket, publish_window& window) {
  size_t taken = 0;
  for (;; ++taken) {
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait))
      return taken;
    if (frames.size() != 2) {
      log::warn(component, "reply ignored: not two frames [id, body]", {{"frames", frames.size()}});
      continue;
    }
    auto id = frames[0].to_string_view();
    std::string problem;
    switch (
        window.on_reply(id, frames[1].to_string_view(), publish_window::clock::now(), &problem)) {
    case reply_outcome::bad_reply:
      log::error(component, "reply does not follow the protocol; message counted as failed",
                 {{"id", id}, {"problem", problem}});
      break;
    case reply_outcome::unknown:
      log::debug(component, "reply for a message no longer in flight ignored", {{"id", id}});
      break;
    case reply_outcome::retry:
      log::debug(component, "answered retry; resending later", {{"id", id}});
      break;
    case reply_outcome::final:
      break;
    }
  }
}

/// How long poll may wait: until the next message falls due (rounded up); while a message
/// waits for room in the socket's queue (POLLOUT), at most 100 ms between looks at the time.
std::chrono::milliseconds poll_timeout(const publish_window& window, bool blocked,
                                       publish_window::time_point now) {
  if (blocked)
    return std::chrono::milliseconds{100};
  auto due = window.next_due();
  if (!due)
    return std::chrono::milliseconds{-1};
  if (*due <= now)
    return std::chrono::milliseconds{0};
  return std::chrono::ceil<std::chrono::milliseconds>(*due - now);
}

void report_failures(const publish_summary& summary, const std::vector<std::string>& files) {
  if (summary.failed_messages == 0)
    return;
  std::cerr << "scpipe publish: " << summary.failed_messages << " messages ("
            << summary.failed_events << " events) got no final reply:\n";
  for (const auto& r : summary.failure_reasons()) {
    auto place = reason_place(r, files);
    std::cerr << "  " << r.events << " events: " << r.reason
              << (place.empty() ? "" : " (first at " + place + ")") << '\n';
  }
}

void report_reused_ids(const publish_summary& summary) {
  if (summary.reused_messages == 0)
    return;
  std::cerr << "scpipe publish: " << summary.reused_messages << " messages ("
            << summary.reused_events
            << " events) were refused: their ids were committed before with a different payload,"
               " so nothing of them was written. Ids: ";
  for (size_t i = 0; i < summary.reused_ids.size(); ++i)
    std::cerr << (i ? ", " : "") << readable_bytes(summary.reused_ids[i]);
  if (summary.reused_messages > summary.reused_ids.size())
    std::cerr << " and " << summary.reused_messages - summary.reused_ids.size() << " more";
  std::cerr << ". Publish these files under a new --id-prefix (the same prefix, files and --batch"
               " only resend what was sent before)\n";
}

} // namespace

int publish_command(const invocation& inv) {
  auto parsed = parse_options(inv);
  if (auto* problem = std::get_if<std::string>(&parsed)) {
    std::cerr << "scpipe publish: " << *problem << " (see 'scpipe publish --help')\n";
    return exit_usage;
  }
  const auto& opts = std::get<publish_options>(parsed);
  if (opts.client_key)
    log::add_secret(opts.client_key->secret_key);
  const auto& files = inv.args;
  try {
    // Every file must open before anything is sent.
    for (const auto& path : files)
      if (!std::ifstream{path, std::ios::binary})
        throw input_error{path + ": cannot open: " + std::strerror(errno)};
    auto prefix = opts.id_prefix ? *opts.id_prefix : random_prefix();

    // The context outlives the socket; linger 0: nothing waits on exit for unsent requests
    // (every one that matters is either answered or reported).
    zmq::context_t context;
    zmq::socket_t socket{context, zmq::socket_type::dealer};
    socket.set(zmq::sockopt::linger, 0);
    if (opts.client_key) {
      // A service that refuses this key never answers: messages time out and are resent until
      // --max-attempts, then reported as failed.
      socket.set(zmq::sockopt::curve_serverkey, opts.server_key);
      socket.set(zmq::sockopt::curve_publickey, opts.client_key->public_key);
      socket.set(zmq::sockopt::curve_secretkey, opts.client_key->secret_key);
    }
    connection_watch watch{context, socket};
    try {
      socket.connect(inv.cfg.broker.endpoint);
    } catch (const zmq::error_t& e) {
      std::cerr << "scpipe publish: broker.endpoint \"" << inv.cfg.broker.endpoint
                << "\": cannot connect: " << e.what() << '\n';
      return exit_usage;
    }
    signal_pipe signals;
    log::info(component, "publishing",
              {{"endpoint", inv.cfg.broker.endpoint},
               {"files", files.size()},
               {"id_prefix", prefix},
               {"curve", opts.client_key.has_value()}});

    publish_window window{opts.window};
    message_source source{
        files,
        message_builder{prefix, opts.batch, static_cast<size_t>(inv.cfg.broker.max_message_bytes)}};
    std::deque<outgoing_message> ready;
    bool input_done = false;
    bool input_failed = false;
    bool interrupted = false;
    size_t replies = 0;
    bool told_nothing_answers = false;
    for (;;) {
      auto now = publish_window::clock::now();
      while (!input_done && window.has_room()) {
        if (ready.empty()) {
          try {
            input_done = !source.read_more(ready);
          } catch (const input_error& e) {
            source.hide();
            std::cerr << "scpipe publish: " << e.what()
                      << "; nothing more is sent, waiting for the replies in flight\n";
            input_done = input_failed = true;
            ready.clear();
          }
          continue;
        }
        if (ready.front().too_large)
          window.refuse(ready.front(), "not sent: the event alone makes a message of "
                                           + std::to_string(ready.front().payload.size())
                                           + " bytes, more than broker.max_message_bytes ("
                                           + std::to_string(inv.cfg.broker.max_message_bytes)
                                           + ")");
        else
          window.add(std::move(ready.front()), now);
        ready.pop_front();
      }
      now = publish_window::clock::now(); // reading may have taken a while
      bool blocked = false;
      size_t timed_out = 0; // resent for want of a reply, logged once per pass
      std::string example;
      while (auto order = window.next_send(now)) {
        // When ZeroMQ's queue is full (the service reads nothing, or is away with our earlier
        // copies queued), wait for room; but waiting longer than a reply would take counts as
        // an attempt, so --max-attempts bounds this too.
        if (!try_send(socket, *order->message) && now - order->due < opts.window.reply_timeout) {
          blocked = true;
          break;
        }
        if (order->reason == send_reason::timeout && timed_out++ == 0)
          example = order->message->id;
        window.sent(order->message->id, now);
      }
      if (timed_out > 0) {
        watch.take_events();
        if (replies == 0 && !told_nothing_answers) {
          told_nothing_answers = true;
          source.hide();
          std::cerr << "scpipe publish: "
                    << nothing_answers(inv.cfg.broker.endpoint, watch, opts.window.reply_timeout,
                                       opts.client_key.has_value())
                    << '\n';
        }
        log::warn(component, "no reply within --timeout-ms; resent with the same ids",
                  {{"endpoint", inv.cfg.broker.endpoint},
                   {"connected", watch.connected()},
                   {"messages", timed_out},
                   {"example_id", example}});
      }
      source.show(window.summary().accepted_events + window.summary().rejected_events);
      if (input_done && window.size() == 0)
        break;
      if (!input_done && window.has_room())
        continue; // a message was given up: room for the next
      zmq::pollitem_t items[] = {
          {socket.handle(), 0, static_cast<short>(ZMQ_POLLIN | (blocked ? ZMQ_POLLOUT : 0)), 0},
          {nullptr, signals.fd(), ZMQ_POLLIN, 0},
          {watch.socket().handle(), 0, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 3, poll_timeout(window, blocked, now));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR)
          throw;
      }
      if (items[1].revents & ZMQ_POLLIN) {
        interrupted = true;
        break;
      }
      replies += take_replies(socket, window);
      watch.take_events();
    }
    source.hide();

    size_t unanswered = 0;
    size_t unanswered_events = 0;
    if (interrupted) {
      auto before = window.summary();
      window.abandon("interrupted before a final reply");
      unanswered = window.summary().failed_messages - before.failed_messages;
      unanswered_events = window.summary().failed_events - before.failed_events;
    }
    const auto& summary = window.summary();
    std::cout << summary.format(files) << std::flush;
    if (interrupted)
      std::cerr << "scpipe publish: interrupted: " << unanswered << " messages ("
                << unanswered_events << " events) were sent and not answered\n";
    report_failures(summary, files);
    report_reused_ids(summary);
    if (summary.failed_messages > 0)
      std::cerr << "scpipe publish: a re-run with --id-prefix=" << prefix
                << " and the same files and --batch sends the same ids: messages committed "
                   "already are answered duplicate, not written twice\n";
    log::write(summary.clean() && !input_failed && !interrupted ? log::level::info
                                                                : log::level::warn,
               component, "published",
               {{"messages", summary.messages_sent},
                {"events", summary.events_sent},
                {"accepted", summary.accepted_events},
                {"rejected", summary.rejected_events},
                {"duplicate_messages", summary.duplicate_messages},
                {"resent", summary.resends},
                {"failed_messages", summary.failed_messages},
                {"id_reused_messages", summary.reused_messages}});
    // --allow-rejected covers bad events, never data refused for a reused id.
    bool rejections_ok = summary.rejected_events == 0 || inv.has("--allow-rejected");
    bool answered = summary.failed_messages == 0 && summary.reused_messages == 0;
    return answered && rejections_ok && !input_failed && !interrupted ? exit_success : exit_failure;
  } catch (const input_error& e) {
    std::cerr << "scpipe publish: " << e.what() << "; nothing was sent\n";
  } catch (const std::exception& e) {
    std::cerr << "scpipe publish: " << e.what() << '\n';
  }
  return exit_failure;
}

} // namespace scpipe::cli
