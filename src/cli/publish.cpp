#include "cli/publish.hpp"

#include "cli/message_source.hpp"
#include "cli/publish_options.hpp"
#include "cli/publish_socket.hpp"
#include "cli/signal_pipe.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "core/publish_messages.hpp"
#include "core/publish_window.hpp"

#include <zmq.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <optional>

namespace scpipe::cli {

namespace {

constexpr const char* component = "publish";

/// A DEALER connected to every endpoint (broker.endpoint unless --endpoint is given; with CURVE
/// when the options say so), and the monitor that tells whether a connection was made.
struct broker_socket {
  // The context outlives the socket; linger 0: nothing waits on exit for unsent requests
  // (every one that matters is either answered or reported).
  zmq::context_t context;
  zmq::socket_t socket{context, zmq::socket_type::dealer};
  std::optional<connection_watch> watch;
};

/// Connects; what is wrong with an endpoint when it cannot.
std::optional<std::string> connect(broker_socket& b, const publish_options& opts) {
  b.socket.set(zmq::sockopt::linger, 0);
  // Several services: the DEALER spreads messages over them, round robin. Only over those it
  // is connected to, so a service that is down is not given messages to hold until it returns
  // (its share times out and is resent, to the others, under the same ids).
  if (opts.endpoints.size() > 1)
    b.socket.set(zmq::sockopt::immediate, 1);
  if (opts.client_key) {
    // A service that refuses this key never answers: messages time out and are resent until
    // --max-attempts, then reported as failed.
    b.socket.set(zmq::sockopt::curve_serverkey, opts.server_key);
    b.socket.set(zmq::sockopt::curve_publickey, opts.client_key->public_key);
    b.socket.set(zmq::sockopt::curve_secretkey, opts.client_key->secret_key);
  }
  b.watch.emplace(b.context, b.socket); // before connect, to see the first connection
  for (const auto& endpoint : opts.endpoints) {
    try {
      b.socket.connect(endpoint);
    } catch (const zmq::error_t& e) {
      return std::string{opts.endpoints_given ? "--endpoint" : "broker.endpoint"} + " \"" + endpoint
             + "\": cannot connect: " + e.what();
    }
  }
  return std::nullopt;
}

/// One publish: messages flow from the files into the window and onto the socket, replies
/// back into the window, until every message has its final answer, the input fails, or a
/// signal comes.
class publish_run {
public:
  publish_run(const invocation& inv, const publish_options& opts, const std::string& prefix,
              broker_socket& broker)
      : inv_{inv}, opts_{opts}, broker_{broker}, window_{opts.window},
        source_{inv.args, message_builder{prefix, opts.batch,
                                          static_cast<size_t>(inv.cfg.broker.max_message_bytes)}} {}

  void run(const signal_pipe& signals) {
    for (;;) {
      fill_window(publish_window::clock::now());
      auto now = publish_window::clock::now(); // reading may have taken a while
      bool blocked = send_due(now);
      source_.show(window_.summary().accepted_events + window_.summary().rejected_events);
      if (input_done_ && window_.size() == 0)
        break;
      if (!input_done_ && window_.has_room())
        continue; // a message was given up: room for the next
      if (wait(signals, blocked, now)) {
        interrupted_ = true;
        break;
      }
    }
    source_.hide();
  }

  /// Prints the summary and what went wrong; the exit code.
  int report(const std::string& prefix);

private:
  /// Reads messages from the files while the window has room.
  void fill_window(publish_window::time_point now);
  /// Sends what is due; true when the socket's queue is full (wait for room).
  bool send_due(publish_window::time_point now);
  /// Polls the socket, the signal pipe and the monitor; takes what arrived. True on a signal.
  bool wait(const signal_pipe& signals, bool blocked, publish_window::time_point now);
  /// Logs the messages resent for want of a reply, and says once what is wrong when nothing
  /// has answered at all.
  void say_resent(size_t resent, const std::string& example);
  void report_failures(const publish_summary& summary) const;
  void report_reused_ids(const publish_summary& summary) const;

  const invocation& inv_;
  const publish_options& opts_;
  broker_socket& broker_;
  publish_window window_;
  message_source source_;
  std::deque<outgoing_message> ready_;
  bool input_done_ = false;
  bool input_failed_ = false;
  bool interrupted_ = false;
  size_t replies_ = 0;
  bool told_nothing_answers_ = false;
};

void publish_run::fill_window(publish_window::time_point now) {
  while (!input_done_ && window_.has_room()) {
    if (ready_.empty()) {
      try {
        input_done_ = !source_.read_more(ready_);
      } catch (const input_error& e) {
        source_.hide();
        std::cerr << "scpipe publish: " << e.what()
                  << "; nothing more is sent, waiting for the replies in flight\n";
        input_done_ = input_failed_ = true;
        ready_.clear();
      }
      continue;
    }
    if (ready_.front().too_large)
      window_.refuse(ready_.front(), "not sent: the event alone makes a message of "
                                         + std::to_string(ready_.front().payload.size())
                                         + " bytes, more than broker.max_message_bytes ("
                                         + std::to_string(inv_.cfg.broker.max_message_bytes) + ")");
    else
      window_.add(std::move(ready_.front()), now);
    ready_.pop_front();
  }
}

bool publish_run::send_due(publish_window::time_point now) {
  size_t timed_out = 0; // resent for want of a reply, logged once per pass
  std::string example;
  bool blocked = false;
  while (auto order = window_.next_send(now)) {
    // When ZeroMQ's queue is full (the service reads nothing, or is away with our earlier
    // copies queued), wait for room; but waiting longer than a reply would take counts as
    // an attempt, so --max-attempts bounds this too.
    if (!try_send(broker_.socket, *order->message)
        && now - order->due < opts_.window.reply_timeout) {
      blocked = true;
      break;
    }
    if (order->reason == send_reason::timeout && timed_out++ == 0)
      example = order->message->id;
    window_.sent(order->message->id, now);
  }
  if (timed_out > 0)
    say_resent(timed_out, example);
  return blocked;
}

void publish_run::say_resent(size_t resent, const std::string& example) {
  auto& watch = *broker_.watch;
  watch.take_events();
  if (replies_ == 0 && !told_nothing_answers_) {
    told_nothing_answers_ = true;
    source_.hide();
    std::cerr << "scpipe publish: "
              << nothing_answers(opts_.endpoint_list(), watch, opts_.window.reply_timeout,
                                 opts_.client_key.has_value())
              << '\n';
  }
  log::warn(component, "no reply within --timeout-ms; resent with the same ids",
            {{"endpoint", opts_.endpoint_list()},
             {"connected", watch.connected()},
             {"messages", resent},
             {"example_id", example}});
}

bool publish_run::wait(const signal_pipe& signals, bool blocked, publish_window::time_point now) {
  zmq::pollitem_t items[] = {
      {broker_.socket.handle(), 0, static_cast<short>(ZMQ_POLLIN | (blocked ? ZMQ_POLLOUT : 0)), 0},
      {nullptr, signals.fd(), ZMQ_POLLIN, 0},
      {broker_.watch->socket().handle(), 0, ZMQ_POLLIN, 0}};
  try {
    zmq::poll(items, 3, poll_timeout(window_, blocked, now));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR)
      throw;
  }
  if (items[1].revents & ZMQ_POLLIN)
    return true;
  replies_ += take_replies(broker_.socket, window_);
  broker_.watch->take_events();
  return false;
}

int publish_run::report(const std::string& prefix) {
  size_t unanswered = 0;
  size_t unanswered_events = 0;
  if (interrupted_) {
    auto before = window_.summary();
    window_.abandon("interrupted before a final reply");
    unanswered = window_.summary().failed_messages - before.failed_messages;
    unanswered_events = window_.summary().failed_events - before.failed_events;
  }
  const auto& summary = window_.summary();
  std::cout << summary.format(inv_.args) << std::flush;
  if (interrupted_)
    std::cerr << "scpipe publish: interrupted: " << unanswered << " messages (" << unanswered_events
              << " events) were sent and not answered\n";
  report_failures(summary);
  report_reused_ids(summary);
  if (summary.failed_messages > 0)
    std::cerr << "scpipe publish: a re-run with --id-prefix=" << prefix
              << " and the same files and --batch sends the same ids: messages committed "
                 "already are answered duplicate, not written twice\n";
  log::write(summary.clean() && !input_failed_ && !interrupted_ ? log::level::info
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
  bool rejections_ok = summary.rejected_events == 0 || inv_.has("--allow-rejected");
  bool answered = summary.failed_messages == 0 && summary.reused_messages == 0;
  return answered && rejections_ok && !input_failed_ && !interrupted_ ? exit_success : exit_failure;
}

void publish_run::report_failures(const publish_summary& summary) const {
  if (summary.failed_messages == 0)
    return;
  std::cerr << "scpipe publish: " << summary.failed_messages << " messages ("
            << summary.failed_events << " events) got no final reply:\n";
  for (const auto& r : summary.failure_reasons()) {
    auto place = reason_place(r, inv_.args);
    std::cerr << "  " << r.events << " events: " << r.reason
              << (place.empty() ? "" : " (first at " + place + ")") << '\n';
  }
}

void publish_run::report_reused_ids(const publish_summary& summary) const {
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
  try {
    // Every file must open before anything is sent.
    for (const auto& path : inv.args)
      if (!std::ifstream{path, std::ios::binary})
        throw input_error{path + ": cannot open: " + std::strerror(errno)};
    auto prefix = opts.id_prefix ? *opts.id_prefix : random_prefix();
    broker_socket broker;
    if (auto problem = connect(broker, opts)) {
      std::cerr << "scpipe publish: " << *problem << '\n';
      return exit_usage;
    }
    signal_pipe signals;
    log::info(component, "publishing",
              {{"endpoint", opts.endpoint_list()},
               {"files", inv.args.size()},
               {"id_prefix", prefix},
               {"curve", opts.client_key.has_value()}});
    publish_run run{inv, opts, prefix, broker};
    run.run(signals);
    return run.report(prefix);
  } catch (const input_error& e) {
    std::cerr << "scpipe publish: " << e.what() << "; nothing was sent\n";
  } catch (const std::exception& e) {
    std::cerr << "scpipe publish: " << e.what() << '\n';
  }
  return exit_failure;
}

} // namespace scpipe::cli
