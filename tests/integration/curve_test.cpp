// CURVE on the broker socket, end to end: keys made by the real `scpipe keygen`, the real
// service with broker.curve_* set, the real `scpipe publish` as a listed producer, and raw
// ZeroMQ clients (an unlisted key, no CURVE at all) that must get no reply and write nothing.

#include "core/curve_keys.hpp"
#include "support/database.hpp"
#include "support/process.hpp"
#include "support/producer.hpp"

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace std::chrono_literals;
using namespace scpipe;
using namespace scpipe::test;

namespace {

namespace fs = std::filesystem;

/// A directory of key files made by `scpipe keygen`, removed at the end.
class key_dir {
public:
  key_dir() : path_{fs::temp_directory_path() / ("scpipe-keys-" + std::to_string(::getpid()))} {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~key_dir() {
    fs::remove_all(path_);
  }

  /// Runs `scpipe keygen NAME` here; returns the pair it wrote.
  curve_key_pair make(const std::string& name) {
    auto r = run({SCPIPE_BINARY, "keygen", path(name)});
    EXPECT_EQ(r.code, 0) << r.err;
    auto keys = load_curve_certificate(path(name) + ".key_secret", true);
    EXPECT_TRUE(std::holds_alternative<curve_key_pair>(keys)) << std::get<std::string>(keys);
    return std::get<curve_key_pair>(keys);
  }

  std::string path(const std::string& name) const {
    return (path_ / name).string();
  }

  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream{path(name)} << text;
    return path(name);
  }

private:
  fs::path path_;
};

/// Sends one request on `socket` and waits up to `wait` for a reply; the reply's body or
/// nothing.
std::optional<std::string> request_once(zmq::socket_t& socket, const std::string& id,
                                        const std::string& payload,
                                        std::chrono::milliseconds wait) {
  std::array<zmq::const_buffer, 2> frames{zmq::buffer(id), zmq::buffer(payload)};
  zmq::send_multipart(socket, frames, zmq::send_flags::dontwait);
  zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq::poll(items, 1, wait) == 0)
    return std::nullopt;
  std::vector<zmq::message_t> reply;
  (void)zmq::recv_multipart(socket, std::back_inserter(reply));
  return reply.back().to_string();
}

/// A DEALER that speaks CURVE with `client` keys to a server with public key `server_public`.
zmq::socket_t curve_dealer(zmq::context_t& ctx, const std::string& endpoint,
                           const curve_key_pair& client, const std::string& server_public) {
  zmq::socket_t s{ctx, zmq::socket_type::dealer};
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_serverkey, server_public);
  s.set(zmq::sockopt::curve_publickey, client.public_key);
  s.set(zmq::sockopt::curve_secretkey, client.secret_key);
  s.connect(endpoint);
  return s;
}

class curve : public ::testing::Test {
protected:
  void SetUp() override {
    db.migrate();
    server = keys.make("server");
    alice = keys.make("alice");
    mallory = keys.make("mallory");
    // The allow-list is alice's public certificate as keygen wrote it.
    allowed = keys.write("allowed", read_file(keys.path("alice.key")));
    endpoint = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
    env = db.env();
    env["SCPIPE_BROKER_ENDPOINT"] = endpoint;
    env["SCPIPE_ETL_INTERVAL_S"] = "86400";
    env["SCPIPE_BROKER_CURVE_SECRET_KEY_FILE"] = keys.path("server.key_secret");
    env["SCPIPE_BROKER_CURVE_ALLOWED_KEYS_FILE"] = allowed;
  }

  int64_t count(const std::string& sql) {
    return std::stoll(db.scalar(sql));
  }

  /// Every key of the test, none of which may appear in any output.
  std::vector<std::string> all_keys() const {
    return {server.public_key, server.secret_key,  alice.public_key,
            alice.secret_key,  mallory.public_key, mallory.secret_key};
  }

  test_database db;
  key_dir keys;
  curve_key_pair server, alice, mallory;
  std::string allowed, endpoint;
  std::map<std::string, std::string> env;
};

} // namespace

TEST_F(curve, keygen_writes_a_secret_certificate_only_its_owner_can_read_and_never_overwrites) {
  struct stat st {};
  ASSERT_EQ(::stat(keys.path("alice.key_secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pub = load_curve_certificate(keys.path("alice.key"), false);
  ASSERT_TRUE(std::holds_alternative<curve_key_pair>(pub));
  EXPECT_EQ(std::get<curve_key_pair>(pub).public_key, alice.public_key);
  EXPECT_EQ(std::get<curve_key_pair>(pub).secret_key, "") << "the public file holds no secret";
  EXPECT_NE(alice.public_key, mallory.public_key);

  auto before = read_file(keys.path("alice.key_secret"));
  auto again = run({SCPIPE_BINARY, "keygen", keys.path("alice")});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("never overwritten"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(keys.path("alice.key_secret")), before);
}

TEST_F(curve, listed_client_is_served_and_others_get_no_reply_and_write_nothing) {
  process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("\"message\":\"listening\"", 20s)) << svc.err();

  // The listed producer, through the real client.
  scratch_files files;
  auto events = files.write("events.json", events_payload(50));
  auto published = run({SCPIPE_BINARY, "publish", "--client-key=" + keys.path("alice.key_secret"),
                        "--server-key=" + keys.path("server.key"), events},
                       env);
  EXPECT_EQ(published.code, 0) << published.err;
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 50);

  zmq::context_t ctx;
  {
    // A valid CURVE client whose key is not listed: the handshake fails, nothing is read.
    auto intruder = curve_dealer(ctx, endpoint, mallory, server.public_key);
    EXPECT_EQ(request_once(intruder, "mallory-1", events_payload(3), 2s), std::nullopt);
    // A client with the right server key that does not speak CURVE at all.
    zmq::socket_t plain{ctx, zmq::socket_type::dealer};
    plain.set(zmq::sockopt::linger, 0);
    plain.connect(endpoint);
    EXPECT_EQ(request_once(plain, "plain-1", events_payload(3), 1s), std::nullopt);
    // A listed key still works on a raw socket while the others knock.
    auto listed = curve_dealer(ctx, endpoint, alice, server.public_key);
    auto reply = request_once(listed, "alice-raw-1", events_payload(2), 10s);
    ASSERT_TRUE(reply.has_value());
    EXPECT_NE(reply->find("\"status\":\"ok\""), std::string::npos) << *reply;
  }
  EXPECT_EQ(count("select count(*) from sc.sc_user_event"), 52);
  EXPECT_EQ(count("select count(*) from scpipe.event_ledger where message_id in "
                  "('mallory-1'::bytea, 'plain-1'::bytea)"),
            0);
  EXPECT_EQ(count("select count(*) from scpipe.rejected_event"), 0);

  svc.signal(SIGTERM);
  ASSERT_EQ(svc.wait(20s), 0) << svc.err();
  auto log = svc.err();
  EXPECT_NE(log.find("client refused: its CURVE key is not in the allow-list"), std::string::npos)
      << log;
  EXPECT_NE(log.find("\"curve\":true"), std::string::npos);
  for (const auto& key : all_keys()) {
    EXPECT_EQ(log.find(key), std::string::npos) << "a key reached the service's log";
    EXPECT_EQ((published.out + published.err).find(key), std::string::npos)
        << "a key reached publish's output";
  }
}

TEST_F(curve, service_refuses_to_start_on_a_bad_key_file_without_quoting_keys) {
  // A secret certificate given as the allow-list: a mistake that would leak a secret.
  env["SCPIPE_BROKER_CURVE_ALLOWED_KEYS_FILE"] = keys.path("alice.key_secret");
  auto r = run({SCPIPE_BINARY, "run"}, env, 20s);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("broker.curve_allowed_keys_file: " + keys.path("alice.key_secret")
                       + ":7: a secret key in the allow-list"),
            std::string::npos)
      << r.err;
  for (const auto& key : all_keys())
    EXPECT_EQ(r.err.find(key), std::string::npos);

  // CURVE without an allow-list would let any client in.
  env["SCPIPE_BROKER_CURVE_ALLOWED_KEYS_FILE"] = "";
  auto half = run({SCPIPE_BINARY, "run"}, env, 20s);
  EXPECT_EQ(half.code, 2);
  EXPECT_NE(half.err.find("set together"), std::string::npos) << half.err;
}

TEST_F(curve, the_live_feed_serves_listed_subscribers_only) {
  auto feed = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
  env["SCPIPE_BROKER_PUBLISH_ENDPOINT"] = feed;
  process svc{{SCPIPE_BINARY, "run"}, env};
  ASSERT_TRUE(svc.wait_for_stderr("\"message\":\"listening\"", 20s)) << svc.err();
  zmq::context_t ctx;
  auto subscriber = [&](const curve_key_pair* keys) {
    zmq::socket_t s{ctx, zmq::socket_type::sub};
    s.set(zmq::sockopt::linger, 0);
    if (keys) {
      s.set(zmq::sockopt::curve_serverkey, server.public_key);
      s.set(zmq::sockopt::curve_publickey, keys->public_key);
      s.set(zmq::sockopt::curve_secretkey, keys->secret_key);
    }
    s.set(zmq::sockopt::subscribe, "events");
    s.connect(feed);
    return s;
  };
  auto listed = subscriber(&alice);
  auto intruder = subscriber(&mallory);
  auto plain = subscriber(nullptr);
  auto received = [](zmq::socket_t& s, std::chrono::milliseconds wait) {
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) == 0)
      return false;
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(s, std::back_inserter(frames));
    return true;
  };
  // Events until the listed subscriber gets a batch (its subscription takes a moment).
  auto producer = curve_dealer(ctx, endpoint, alice, server.public_key);
  bool got = false;
  for (int k = 0; k < 50 && !got; ++k) {
    ASSERT_TRUE(request_once(producer, "feed-" + std::to_string(k), events_payload(2), 10s));
    got = received(listed, 200ms);
  }
  EXPECT_TRUE(got) << "the listed subscriber got nothing";
  EXPECT_FALSE(received(intruder, 500ms)) << "an unlisted key received the feed";
  EXPECT_FALSE(received(plain, 100ms)) << "a client without CURVE received the feed";
  svc.signal(SIGTERM);
  ASSERT_EQ(svc.wait(20s), 0) << svc.err();
}
