#include "core/event_batch.hpp"

namespace scpipe {

uint64_t rows_of(const batch_message& m) {
  return m.content.accepted + m.content.rejections.size();
}

uint64_t bytes_of(const batch_message& m) {
  uint64_t n = m.content.rows.size() + m.id.size();
  for (const auto& r : m.content.rejections)
    n += r.raw.size() + r.reason.size();
  return n;
}

} // namespace scpipe
