#include "core/batch_builder.hpp"

#include <gtest/gtest.h>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

batch_message message(uint64_t seq, int events, int rejected = 0) {
  batch_message m;
  m.seq = seq;
  m.id = "m" + std::to_string(seq);
  for (int i = 0; i < events; ++i)
    m.content.rows += "1\t\\N\t2019-01-01 00:00:00\ta\tf\n";
  m.content.accepted = static_cast<uint64_t>(events);
  for (int i = 0; i < rejected; ++i)
    m.content.rejections.push_back({i, "bad", "{}"});
  m.content.rejected = static_cast<uint64_t>(rejected);
  return m;
}

std::vector<uint64_t> seqs(const event_batch& b) {
  std::vector<uint64_t> out;
  for (const auto& m : b.messages)
    out.push_back(m.seq);
  return out;
}

} // namespace

TEST(batch_builder, cuts_batches_of_whole_messages_at_max_rows) {
  batch_builder b{10, 1 << 20, 1000ms};
  auto t = batch_builder::clock::now();
  b.add(message(1, 4), t);
  b.add(message(2, 4), t);
  EXPECT_FALSE(b.take(t)) << "not full, not lingered";
  b.add(message(3, 4), t); // would make 12: closes {1,2} first
  auto first = b.take(t);
  ASSERT_TRUE(first);
  EXPECT_EQ(seqs(*first), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(first->rows, 8u);
  EXPECT_FALSE(b.take(t));
  auto lingered = b.take(t + 1000ms);
  ASSERT_TRUE(lingered);
  EXPECT_EQ(seqs(*lingered), (std::vector<uint64_t>{3}));
  EXPECT_EQ(b.messages(), 0u);
}

TEST(batch_builder, a_message_larger_than_a_batch_is_a_batch_alone) {
  batch_builder b{10, 1 << 20, 1000ms};
  auto t = batch_builder::clock::now();
  b.add(message(1, 2), t);
  b.add(message(2, 50), t);
  auto first = b.take(t);
  auto second = b.take(t);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(seqs(*first), (std::vector<uint64_t>{1}));
  EXPECT_EQ(seqs(*second), (std::vector<uint64_t>{2}));
}

TEST(batch_builder, cuts_at_max_bytes_and_counts_rejections_as_rows) {
  batch_builder b{1000, 100, 1000ms};
  auto t = batch_builder::clock::now();
  b.add(message(1, 1, 2), t); // 1 row of ~31 bytes + 2 rejections
  EXPECT_EQ(rows_of(message(1, 1, 2)), 3u);
  b.add(message(2, 2), t);
  b.add(message(3, 2), t); // over 100 bytes: closes the open batch
  auto first = b.take(t);
  ASSERT_TRUE(first);
  EXPECT_LE(first->bytes, 100u);
}

TEST(batch_builder, a_failed_batch_goes_back_to_the_front) {
  batch_builder b{2, 1 << 20, 0ms};
  auto t = batch_builder::clock::now();
  b.add(message(1, 2), t);
  b.add(message(2, 2), t);
  auto first = b.take(t);
  ASSERT_TRUE(first);
  b.put_back(*first);
  EXPECT_EQ(b.messages(), 2u);
  EXPECT_EQ(seqs(*b.take(t)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(seqs(*b.take(t)), (std::vector<uint64_t>{2}));
}

TEST(batch_builder, due_says_when_the_open_batch_has_lingered) {
  batch_builder b{100, 1 << 20, 5ms};
  auto t = batch_builder::clock::now();
  EXPECT_FALSE(b.due());
  b.add(message(1, 1), t);
  b.add(message(2, 1), t + 3ms);
  EXPECT_EQ(b.due(), t + 5ms);
  EXPECT_EQ(b.messages(), 2u);
  EXPECT_FALSE(b.take(t + 4ms)) << "not due yet";
  auto batch = b.take(t + 5ms);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->messages.size(), 2u);
  EXPECT_EQ(b.messages(), 0u);
}
