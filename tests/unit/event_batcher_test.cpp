// The event batcher under CAF's deterministic test scheduler, with stand-in writers: a writer
// that dies holding a batch cannot be produced on demand with a real database connection.

#include "actors/error.hpp"
#include "actors/event_batcher.hpp"
#include "actors/stream_links.hpp"
#include "core/log.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>

#include <memory>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

/// What the stand-ins saw.
struct seen {
  std::vector<uint64_t> replied;  ///< seqs the listener was asked to answer
  std::vector<size_t> batches_at; ///< per batch: which writer (0 or 1) received it
};

/// A listener that records the replies it is asked to send.
broker_listener_actor::behavior_type recording_listener(broker_listener_actor::pointer,
                                                        std::shared_ptr<seen> s) {
  return {
      [=](reply_batch& r) {
        for (auto& m : r.replies)
          s->replied.push_back(m.seq);
      },
      [](drained_atom) {},
  };
}

/// A writer that commits (answers ok) every batch, or, when `dies`, quits holding the first.
db_writer_actor::behavior_type stand_in_writer(db_writer_actor::pointer self,
                                               std::shared_ptr<seen> s, size_t index, bool dies) {
  return {
      [=](shared_batch& b) -> caf::result<reply_batch> {
        s->batches_at.push_back(index);
        if (dies) {
          self->quit(caf::sec::runtime_error);
          return caf::sec::runtime_error;
        }
        reply_batch out;
        for (const auto& m : b.batch->messages)
          out.replies.push_back({m.seq, "{}"});
        return out;
      },
      [](prune_atom) {},
      [](probe_atom) {},
      [](retry_atom) {},
  };
}

/// A writer that crashes holding the first batch: it quits without ever answering, as a real
/// writer killed in its backoff does (its response promise dies with it, unanswered).
db_writer_actor::behavior_type crashing_writer(db_writer_actor::pointer self,
                                               std::shared_ptr<seen> s, size_t index) {
  return {
      [=](shared_batch&) -> caf::result<reply_batch> {
        s->batches_at.push_back(index);
        auto promise = self->make_response_promise<reply_batch>();
        self->quit(caf::exit_reason::kill);
        return promise;
      },
      [](prune_atom) {},
      [](probe_atom) {},
      [](retry_atom) {},
  };
}

/// One poll round's read: a single request.
raw_messages message(uint64_t seq) {
  raw_message m;
  m.seq = seq;
  m.id = "m" + std::to_string(seq);
  m.payload = R"({"user_id": 1, "event_type": "a", "event_time": "2019-01-01T00:00:00Z"})";
  m.size = m.payload.size();
  return raw_messages{{std::move(m)}};
}

class event_batcher_test : public ::testing::Test {
protected:
  void SetUp() override {
    log::set_level(log::level::error);
    cfg.set("scheduler.policy", caf::atom("testing"));
    add_error_category(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  void TearDown() override {
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    sched->run();
    log::set_level(log::level::info);
  }

  /// A batcher over `links` (listener included), cutting one batch per message, started and
  /// idle.
  event_batcher_actor start_one_message_batches(const std::shared_ptr<seen>& s,
                                                const std::shared_ptr<stream_links>& links) {
    auto listener = sys->spawn(recording_listener, s);
    links->listener_started(listener);
    batcher_settings settings;
    settings.max_rows = 1;
    auto batcher = sys->spawn(event_batcher, settings, links);
    links->batcher_started(batcher);
    actors = {caf::actor_cast<caf::actor>(listener), caf::actor_cast<caf::actor>(batcher)};
    sched->run();
    return batcher;
  }

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::vector<caf::actor> actors;
};

} // namespace

TEST_F(event_batcher_test, a_batch_whose_writer_dies_is_written_by_another) {
  auto s = std::make_shared<seen>();
  auto links = std::make_shared<stream_links>(2);
  links->writer_started(0, sys->spawn(stand_in_writer, s, 0, true));
  links->writer_started(1, sys->spawn(stand_in_writer, s, 1, false));
  auto batcher = start_one_message_batches(s, links);

  caf::anon_send(batcher, message(1));
  caf::anon_send(batcher, message(2));
  sched->run();

  // Message 1 went to writer 0, which died with it; writer 1 wrote it and message 2.
  ASSERT_GE(s->batches_at.size(), 3u);
  EXPECT_EQ(s->batches_at[0], 0u);
  std::sort(s->replied.begin(), s->replied.end());
  EXPECT_EQ(s->replied, (std::vector<uint64_t>{1, 2}));
}

TEST_F(event_batcher_test, a_batch_whose_writer_crashes_without_answering_is_written_by_another) {
  auto s = std::make_shared<seen>();
  auto links = std::make_shared<stream_links>(2);
  links->writer_started(0, sys->spawn(crashing_writer, s, 0));
  links->writer_started(1, sys->spawn(stand_in_writer, s, 1, false));
  auto batcher = start_one_message_batches(s, links);

  caf::anon_send(batcher, message(1));
  caf::anon_send(batcher, message(2));
  sched->run();

  // Message 1 went to writer 0, which crashed with it unanswered; writer 1 wrote both, once.
  EXPECT_EQ(s->batches_at, (std::vector<size_t>{0, 1, 1}));
  std::sort(s->replied.begin(), s->replied.end());
  EXPECT_EQ(s->replied, (std::vector<uint64_t>{1, 2}));
}

TEST_F(event_batcher_test, messages_wait_for_a_writer_and_go_once_one_offers_itself) {
  auto s = std::make_shared<seen>();
  auto links = std::make_shared<stream_links>(1);
  auto listener = sys->spawn(recording_listener, s);
  links->listener_started(listener);
  auto batcher = sys->spawn(event_batcher, batcher_settings{}, links);
  links->batcher_started(batcher);
  actors = {caf::actor_cast<caf::actor>(listener), caf::actor_cast<caf::actor>(batcher)};
  sched->run();

  caf::anon_send(batcher, message(7));
  sched->run();
  EXPECT_TRUE(s->replied.empty()) << "no writer yet";
  links->writer_started(0, sys->spawn(stand_in_writer, s, 0, false)); // e.g. a restart
  sched->run();
  EXPECT_EQ(s->replied, (std::vector<uint64_t>{7}));
}
