#pragma once

#include <set>
#include <string>
#include <string_view>
#include <variant>

namespace scpipe {

/// A CURVE key pair as Z85 text (40 characters each, 32 bytes of key).
struct curve_key_pair {
  std::string public_key;
  /// Empty when only the public half is known (a public certificate).
  std::string secret_key;
};

/// Whether `text` is a Z85-encoded CURVE key: exactly 40 characters of the Z85 alphabet.
bool is_z85_key(std::string_view text);

/// Parses a certificate file in ZeroMQ's ZPL format, as `scpipe keygen`, pyzmq's
/// zmq.auth.create_certificates and czmq's zcert_save write it: the lines
/// `public-key = "<z85>"` and (in a secret certificate) `secret-key = "<z85>"`; comments,
/// `metadata`/`curve` headers and other properties are ignored. A bare Z85 key on a line of
/// its own is read as the public key. `source` names the file in errors. An error names the
/// file and line but never quotes a key.
std::variant<curve_key_pair, std::string> parse_curve_certificate(std::string_view text,
                                                                  std::string_view source);

/// Parses an allow-list of client public keys: one per line, either a bare Z85 key or a
/// certificate's `public-key = "<z85>"` line, so the public certificates of the producers
/// concatenated make an allow-list. `#` comments and blank lines are ignored. A secret key in
/// it, a malformed line or an empty list is an error naming the file and line (never the key).
std::variant<std::set<std::string>, std::string> parse_curve_allow_list(std::string_view text,
                                                                        std::string_view source);

/// The text of a certificate file for `keys` in ZPL format: public only, or with the secret
/// key when `with_secret`.
std::string render_curve_certificate(const curve_key_pair& keys, bool with_secret);

/// What the broker socket needs for CURVE: its own key pair and the allowed client keys.
struct curve_server_keys {
  curve_key_pair server;
  std::set<std::string> allowed_clients;
};

/// Reads broker.curve_secret_key_file (a secret certificate) and broker.curve_allowed_keys_file
/// (an allow-list). Returns the keys or one error naming the file and what is wrong.
std::variant<curve_server_keys, std::string>
load_curve_server_keys(const std::string& secret_key_file, const std::string& allowed_keys_file);

/// Reads a certificate file; `secret` requires its secret key. Returns the keys or an error.
std::variant<curve_key_pair, std::string> load_curve_certificate(const std::string& path,
                                                                 bool secret);

} // namespace scpipe
