#include "cli/publish_options.hpp"

#include <charconv>
#include <fstream>
#include <stdexcept>

namespace scpipe::cli {

namespace {

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

} // namespace

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
  out.endpoints = inv.values("--endpoint");
  for (const auto& e : out.endpoints)
    if (e.empty())
      return "--endpoint: must not be empty";
  out.endpoints_given = !out.endpoints.empty();
  if (out.endpoints.empty())
    out.endpoints.push_back(inv.cfg.broker.endpoint);
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

} // namespace scpipe::cli
