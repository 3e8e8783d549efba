#pragma once

#include "core/event_payload.hpp"
#include "core/producer_session.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scpipe {

/// One producer message, validated, on its way to the database.
struct batch_message {
  /// The listener's number for the request; the reply is routed by it.
  uint64_t seq = 0;
  /// The producer's message id (1..255 bytes).
  std::string id;
  /// payload_digest() of its payload; nullopt when the payload was dropped (too large).
  std::optional<uint64_t> digest;
  /// When the service read it (microseconds since the Unix epoch): dead letters record it.
  int64_t received_at_us = 0;
  /// Its rows and rejections.
  decoded_payload content;
  /// Its producer session; producer empty when it came without one: the ledger then keys it by
  /// `id`, otherwise by (producer, sequence).
  producer_session session;
};

/// Whole messages written in one transaction: a message's events, dead letters and ledger row
/// always commit together, so a batch never splits a message.
struct event_batch {
  std::vector<batch_message> messages;
  /// Accepted events plus rejections, over all messages.
  uint64_t rows = 0;
  /// Bytes of row data and raw rejected text, over all messages.
  uint64_t bytes = 0;
};

/// Rows a message adds to a batch (accepted events plus rejections).
uint64_t rows_of(const batch_message& m);

/// Bytes a message adds to a batch.
uint64_t bytes_of(const batch_message& m);

} // namespace scpipe
