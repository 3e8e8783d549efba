#include "core/curve_keys.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

// Two real key pairs (zmq_curve_keypair); never used outside these tests.
constexpr const char* alice_public = "RvMY?%4?L}zQ]0%=+-DCt=6AA?aX{tMEY<S!i?B!";
constexpr const char* alice_secret = "-^KyS(pESK1#fGbOAl8C]yD:3o.>[-O[!PV.fvaJ";
constexpr const char* bob_public = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

/// A public certificate as pyzmq's zmq.auth.create_certificates writes it.
std::string pyzmq_public(const std::string& key) {
  return "#   ****  Generated on 2026-11-27 14:00:00.000000 by pyzmq  ****\n"
         "#   ZeroMQ CURVE Public Certificate\n"
         "#   Exchange securely, or use a secure mechanism to verify the contents\n"
         "\n"
         "metadata\n"
         "curve\n"
         "    public-key = \""
         + key + "\"\n";
}

template <class T> std::string error_of(const std::variant<T, std::string>& v) {
  auto* e = std::get_if<std::string>(&v);
  return e ? *e : "(no error)";
}

} // namespace

TEST(curve_keys, z85_keys_are_forty_characters_of_the_z85_alphabet) {
  EXPECT_TRUE(is_z85_key(alice_public));
  EXPECT_FALSE(is_z85_key(std::string{alice_public}.substr(1)));
  EXPECT_FALSE(is_z85_key(std::string{alice_public} + "a"));
  EXPECT_FALSE(is_z85_key("RvMY?%4?L}zQ]0%=+-DCt=6AA?aX{tMEY<S!i?B "));  // space
  EXPECT_FALSE(is_z85_key("RvMY?%4?L}zQ]0%=+-DCt=6AA?aX{tMEY<S!i?B\"")); // quote
}

TEST(curve_keys, secret_certificate_round_trips_through_its_rendering) {
  curve_key_pair keys{alice_public, alice_secret};
  auto parsed = parse_curve_certificate(render_curve_certificate(keys, true), "alice.key_secret");
  ASSERT_TRUE(std::holds_alternative<curve_key_pair>(parsed)) << error_of(parsed);
  EXPECT_EQ(std::get<curve_key_pair>(parsed).public_key, alice_public);
  EXPECT_EQ(std::get<curve_key_pair>(parsed).secret_key, alice_secret);
  auto public_only = render_curve_certificate(keys, false);
  EXPECT_EQ(public_only.find(alice_secret), std::string::npos);
  auto parsed_public = parse_curve_certificate(public_only, "alice.key");
  ASSERT_TRUE(std::holds_alternative<curve_key_pair>(parsed_public));
  EXPECT_EQ(std::get<curve_key_pair>(parsed_public).secret_key, "");
}

TEST(curve_keys, pyzmq_certificates_and_bare_keys_are_read) {
  auto cert = parse_curve_certificate(pyzmq_public(bob_public), "bob.key");
  ASSERT_TRUE(std::holds_alternative<curve_key_pair>(cert)) << error_of(cert);
  EXPECT_EQ(std::get<curve_key_pair>(cert).public_key, bob_public);
  auto bare = parse_curve_certificate(std::string{bob_public} + "\n", "bob.pub");
  ASSERT_TRUE(std::holds_alternative<curve_key_pair>(bare)) << error_of(bare);
  EXPECT_EQ(std::get<curve_key_pair>(bare).public_key, bob_public);
}

TEST(curve_keys, malformed_certificate_names_file_and_line_but_not_the_key) {
  auto short_key = std::string{alice_secret}.substr(0, 39);
  auto text = "metadata\ncurve\n    public-key = \"" + std::string{alice_public}
              + "\"\n    secret-key = \"" + short_key + "\"\n";
  auto error = error_of(parse_curve_certificate(text, "alice.key_secret"));
  EXPECT_EQ(error, "alice.key_secret:4: the secret key is not a Z85 CURVE key (40 characters)");
  EXPECT_EQ(error.find(short_key), std::string::npos);
  EXPECT_EQ(error_of(parse_curve_certificate("# nothing\n", "empty.key")),
            "empty.key: no public-key line");
  EXPECT_EQ(error_of(parse_curve_certificate("hello world\n", "x.key")),
            "x.key:1: not a certificate line (public-key = \"...\")");
}

TEST(curve_keys, allow_list_takes_bare_keys_and_concatenated_public_certificates) {
  auto text =
      "# producers allowed in\n" + std::string{alice_public} + "\n\n" + pyzmq_public(bob_public);
  auto list = parse_curve_allow_list(text, "allowed");
  ASSERT_TRUE((std::holds_alternative<std::set<std::string>>(list))) << error_of(list);
  EXPECT_EQ(std::get<std::set<std::string>>(list),
            (std::set<std::string>{alice_public, bob_public}));
}

TEST(curve_keys, allow_list_refuses_secret_keys_bad_lines_and_emptiness) {
  auto with_secret = parse_curve_allow_list(
      render_curve_certificate({alice_public, alice_secret}, true), "allowed");
  auto error = error_of(with_secret);
  EXPECT_EQ(error, "allowed:7: a secret key in the allow-list; list only the clients' public keys");
  EXPECT_EQ(error.find(alice_secret), std::string::npos);
  EXPECT_EQ(
      error_of(parse_curve_allow_list(std::string{alice_public} + "\nnot a key\n", "allowed")),
      "allowed:2: not a Z85 public key (40 characters)");
  EXPECT_EQ(error_of(parse_curve_allow_list("# nobody\n", "allowed")),
            "allowed: lists no client key (every client would be refused)");
}

TEST(curve_keys, server_keys_need_a_secret_certificate_and_name_the_config_key) {
  auto error = error_of(load_curve_server_keys("/nonexistent/server.key_secret", "/nonexistent/a"));
  EXPECT_EQ(error.rfind(
                "broker.curve_secret_key_file: cannot read \"/nonexistent/server.key_secret\"", 0),
            0u)
      << error;
}
