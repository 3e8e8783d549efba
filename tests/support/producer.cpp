#include "support/producer.hpp"

#include <gtest/gtest.h>
#include <zmq_addon.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <unistd.h>

namespace scpipe::test {

producer::producer(const std::string& endpoint) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::sndhwm, 64); // a flooding test keeps its own memory small too
  socket_.connect(endpoint);
}

void producer::send_frames(const std::vector<std::string>& frames) {
  std::vector<zmq::const_buffer> buffers;
  for (const auto& f : frames)
    buffers.push_back(zmq::buffer(f));
  zmq::send_multipart(socket_, buffers);
}

bool producer::try_send(const std::string& id, const std::string& payload) {
  std::array<zmq::const_buffer, 2> frames{zmq::buffer(id), zmq::buffer(payload)};
  return zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait).has_value();
}

std::optional<std::vector<std::string>>
producer::receive_frames(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0)
    return std::nullopt;
  std::vector<zmq::message_t> msgs;
  if (!zmq::recv_multipart(socket_, std::back_inserter(msgs)))
    return std::nullopt;
  std::vector<std::string> out;
  for (auto& m : msgs)
    out.push_back(m.to_string());
  return out;
}

std::optional<producer::reply> producer::receive(std::chrono::milliseconds timeout) {
  auto frames = receive_frames(timeout);
  if (!frames)
    return std::nullopt;
  EXPECT_EQ(frames->size(), 2u) << "a reply has exactly two frames";
  if (frames->size() != 2)
    return std::nullopt;
  auto body = parse_reply((*frames)[1]);
  EXPECT_TRUE(body.has_value()) << "not a protocol reply: " << (*frames)[1];
  if (!body)
    return std::nullopt;
  return reply{(*frames)[0], std::move(*body), (*frames)[1]};
}

producer::reply producer::request(const std::string& id, const std::string& payload,
                                  std::chrono::milliseconds timeout) {
  send(id, payload);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (r && r->id == id)
      return *r;
  }
  ADD_FAILURE() << "no reply to " << id;
  return {id, {}, {}};
}

void producer::send_message(const std::vector<std::pair<std::string, std::string>>& messages,
                            size_t index) {
  const auto& [id, payload] = messages[index];
  if (session_producer_.empty())
    send(id, payload);
  else
    send_frames({id, payload, session_frame({session_producer_, session_first_ + index})});
}

producer::publish_stats
producer::publish(const std::vector<std::pair<std::string, std::string>>& messages, size_t window,
                  std::chrono::milliseconds resend_after, std::chrono::milliseconds give_up,
                  const std::function<void(const reply&)>& on_reply) {
  using clock = std::chrono::steady_clock;
  publish_stats st;
  std::map<std::string, std::pair<size_t, clock::time_point>> in_flight; // id → index, sent
  size_t next = 0;
  auto deadline = clock::now() + give_up;
  while ((next < messages.size() || !in_flight.empty()) && clock::now() < deadline) {
    while (next < messages.size() && in_flight.size() < window) {
      send_message(messages, next);
      in_flight[messages[next].first] = {next, clock::now()};
      ++next;
    }
    auto r = receive(std::chrono::milliseconds{50});
    if (r) {
      auto it = in_flight.find(r->id);
      if (it != in_flight.end()) {
        if (on_reply)
          on_reply(*r);
        switch (r->body.status) {
        case reply_status::retry:
          ++st.retry_replies;
          it->second.second = clock::now() - resend_after + std::chrono::milliseconds{200};
          break;
        case reply_status::ok:
          ++st.ok;
          break;
        case reply_status::partial:
          ++st.partial;
          break;
        case reply_status::rejected:
          ++st.rejected;
          break;
        case reply_status::duplicate:
          ++st.duplicate;
          break;
        }
        if (r->body.status != reply_status::retry) {
          st.accepted += r->body.accepted;
          in_flight.erase(it);
        }
      }
    }
    auto now = clock::now();
    for (auto& [id, entry] : in_flight)
      if (now - entry.second >= resend_after) {
        send_message(messages, entry.first);
        entry.second = now;
        ++st.resends;
      }
  }
  st.unanswered = in_flight.size() + (messages.size() - next);
  return st;
}

std::string events_payload(int count, int first_user, const std::string& type) {
  std::string out = "[";
  for (int i = 0; i < count; ++i) {
    if (i)
      out += ',';
    out += R"({"user_id":)" + std::to_string(first_user + i) + R"(,"event_type":")" + type
           + R"(","event_time":"2019-05-13T03:11:04Z","platform":"ios"})";
  }
  return out + "]";
}

std::vector<std::pair<std::string, std::string>> numbered_messages(int n, int per,
                                                                   const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < n; ++i)
    out.emplace_back(prefix + "-" + std::to_string(i), events_payload(per, 1 + i * per));
  return out;
}

} // namespace scpipe::test
