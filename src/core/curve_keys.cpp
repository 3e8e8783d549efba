#include "core/curve_keys.hpp"

#include "core/text.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace scpipe {

namespace {

constexpr std::string_view z85_alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr size_t z85_key_chars = 40;

/// One meaningful line of a ZPL key file.
struct key_line {
  enum kind_t { skip, public_key, secret_key, bare_key, other_property, malformed } kind;
  std::string_view value;
};

/// Classifies one line: comments, blank lines and section headers are skipped; a property
/// `name = "value"` is a key when its name is public-key or secret-key.
key_line classify(std::string_view raw) {
  auto line = trim(raw);
  if (line.empty() || line.front() == '#' || line == "metadata" || line == "curve")
    return {key_line::skip, {}};
  if (is_z85_key(line)) // before looking for '=': it is a Z85 character
    return {key_line::bare_key, line};
  auto eq = line.find('=');
  if (eq == std::string_view::npos)
    return {key_line::malformed, {}};
  auto name = trim(line.substr(0, eq));
  auto value = trim(line.substr(eq + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  if (name == "public-key")
    return {key_line::public_key, value};
  if (name == "secret-key")
    return {key_line::secret_key, value};
  return {key_line::other_property, value};
}

std::string where(std::string_view source, size_t line) {
  return std::string{source} + ":" + std::to_string(line);
}

/// Calls `f(line_number, key_line)` for each line of `text`; stops at the first error `f`
/// returns (non-empty).
template <class F> std::string for_each_line(std::string_view text, F f) {
  size_t number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (auto error = f(number, classify(raw)); !error.empty())
      return error;
  }
  return {};
}

/// Reads the file at `path` into `text`; false with `error` set when it cannot.
bool read_file(const std::string& path, std::string& text, std::string& error) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    error = "cannot read \"" + path + "\": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

} // namespace

bool is_z85_key(std::string_view text) {
  return text.size() == z85_key_chars
         && text.find_first_not_of(z85_alphabet) == std::string_view::npos;
}

std::variant<curve_key_pair, std::string> parse_curve_certificate(std::string_view text,
                                                                  std::string_view source) {
  curve_key_pair keys;
  auto error = for_each_line(text, [&](size_t n, const key_line& l) -> std::string {
    switch (l.kind) {
    case key_line::malformed:
      return where(source, n) + ": not a certificate line (public-key = \"...\")";
    case key_line::public_key:
    case key_line::bare_key:
      if (!is_z85_key(l.value))
        return where(source, n) + ": the public key is not a Z85 CURVE key (40 characters)";
      keys.public_key = l.value;
      return {};
    case key_line::secret_key:
      if (!is_z85_key(l.value))
        return where(source, n) + ": the secret key is not a Z85 CURVE key (40 characters)";
      keys.secret_key = l.value;
      return {};
    default:
      return {};
    }
  });
  if (!error.empty())
    return error;
  if (keys.public_key.empty())
    return std::string{source} + ": no public-key line";
  return keys;
}

std::variant<std::set<std::string>, std::string> parse_curve_allow_list(std::string_view text,
                                                                        std::string_view source) {
  std::set<std::string> keys;
  auto error = for_each_line(text, [&](size_t n, const key_line& l) -> std::string {
    switch (l.kind) {
    case key_line::malformed:
      return where(source, n) + ": not a Z85 public key (40 characters)";
    case key_line::secret_key:
      return where(source, n)
             + ": a secret key in the allow-list; list only the clients' public keys";
    case key_line::public_key:
    case key_line::bare_key:
      if (!is_z85_key(l.value))
        return where(source, n) + ": not a Z85 public key (40 characters)";
      keys.emplace(l.value);
      return {};
    default:
      return {};
    }
  });
  if (!error.empty())
    return error;
  if (keys.empty())
    return std::string{source} + ": lists no client key (every client would be refused)";
  return keys;
}

std::string render_curve_certificate(const curve_key_pair& keys, bool with_secret) {
  std::string out;
  if (with_secret)
    out += "#   ZeroMQ CURVE **Secret** Certificate, written by scpipe keygen\n"
           "#   Keep it private: give others the public certificate (.key) only.\n";
  else
    out += "#   ZeroMQ CURVE Public Certificate, written by scpipe keygen\n"
           "#   Add its public-key line to the service's broker.curve_allowed_keys_file.\n";
  out += "\nmetadata\ncurve\n    public-key = \"" + keys.public_key + "\"\n";
  if (with_secret)
    out += "    secret-key = \"" + keys.secret_key + "\"\n";
  return out;
}

std::variant<curve_key_pair, std::string> load_curve_certificate(const std::string& path,
                                                                 bool secret) {
  std::string text, error;
  if (!read_file(path, text, error))
    return error;
  auto keys = parse_curve_certificate(text, path);
  if (auto* k = std::get_if<curve_key_pair>(&keys); k && secret && k->secret_key.empty())
    return path + ": no secret-key line (a secret certificate is needed here, not a public one)";
  return keys;
}

std::variant<curve_server_keys, std::string>
load_curve_server_keys(const std::string& secret_key_file, const std::string& allowed_keys_file) {
  auto server = load_curve_certificate(secret_key_file, true);
  if (auto* error = std::get_if<std::string>(&server))
    return "broker.curve_secret_key_file: " + *error;
  std::string text, error;
  if (!read_file(allowed_keys_file, text, error))
    return "broker.curve_allowed_keys_file: " + error;
  auto allowed = parse_curve_allow_list(text, allowed_keys_file);
  if (auto* error = std::get_if<std::string>(&allowed))
    return "broker.curve_allowed_keys_file: " + *error;
  return curve_server_keys{std::get<curve_key_pair>(std::move(server)),
                           std::get<std::set<std::string>>(std::move(allowed))};
}

} // namespace scpipe
