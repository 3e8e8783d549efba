#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace scpipe {

/// A 64-bit digest of a message's payload, kept with its id in the ledger so that "the same
/// message again" (a resend: same id, same bytes) is told from "another message under a used
/// id" (a reused prefix, a different --batch). Not a security check: a producer can only
/// confuse its own ids. Any payloads of equal length that differ in one 8-byte word always get
/// different digests (every step is a bijection of the state); others collide with a chance of
/// about 2^-64.
///
///   h = seed ^ length; for each 8-byte word w: h = rotl(h ^ w, 29) * k; finalised (murmur3's
///   fmix64), so that nearby payloads spread over all 64 bits.
inline uint64_t payload_digest(std::string_view payload) {
  constexpr uint64_t k = 0x9E3779B97F4A7C15ull; // odd: multiplying by it is a bijection
  uint64_t h = 0xCBF29CE484222325ull ^ payload.size();
  auto step = [&](uint64_t w) {
    h ^= w;
    h = ((h << 29) | (h >> 35)) * k;
  };
  size_t i = 0;
  for (; i + 8 <= payload.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, payload.data() + i, 8);
    step(w);
  }
  if (i < payload.size()) {
    uint64_t w = 0;
    std::memcpy(&w, payload.data() + i, payload.size() - i);
    step(w);
  }
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

} // namespace scpipe
