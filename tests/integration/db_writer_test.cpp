// One real db_writer actor against a real PostgreSQL, inside this test's own actor system.

#include "actors/db_writer.hpp"
#include "core/event_payload.hpp"
#include "core/event_reply.hpp"
#include "core/log.hpp"
#include "db/event_writer.hpp"
#include "db/query_interrupt.hpp"
#include "support/database.hpp"
#include "support/service.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <gtest/gtest.h>
#include <pqxx/transaction>

#include <map>
#include <thread>

using namespace scpipe;
using namespace std::chrono_literals;

namespace {

shared_batch batch_of(uint64_t seq, const std::string& id) {
  batch_message m;
  m.seq = seq;
  m.id = id;
  m.content = decode_payload(
      R"([{"user_id": 1, "event_type": "a", "event_time": "2019-01-01T00:00:00Z"}])");
  event_batch b;
  b.rows = 1;
  b.messages.push_back(std::move(m));
  return {std::make_shared<const event_batch>(std::move(b))};
}

} // namespace

TEST(db_writer, a_batch_sent_while_another_is_held_waits_its_turn_instead_of_being_refused) {
  // Happens when a restarted batcher does not know the writer is busy.
  test::test_database db;
  db.migrate();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  writer_settings settings;
  settings.database = db.config();
  auto writer = sys.spawn<caf::detached>(db_writer, settings, size_t{0},
                                         std::make_shared<db::query_interrupt>());
  caf::scoped_actor self{sys};
  auto locker = db.connect();
  auto lock = std::make_unique<pqxx::work>(locker);
  lock->exec0("lock table sc.sc_user_event in access exclusive mode");
  self->send(writer, batch_of(1, "first")); // blocks in COPY behind the lock
  ASSERT_TRUE(test::eventually([&] { return db.lock_waiters() == 1; }, 20s));
  self->send(writer, batch_of(2, "second")); // in the mailbox of a writer that is busy
  lock.reset();                              // rolls back: the lock goes
  std::map<uint64_t, std::string> replies;
  for (int i = 0; i < 2; ++i)
    self->receive([&](reply_batch& r) { replies[r.replies.at(0).seq] = r.replies.at(0).body; },
                  caf::after(std::chrono::seconds{20}) >> [&] { ADD_FAILURE() << "no reply"; });
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(parse_reply(replies[1])->status, reply_status::ok) << replies[1];
  EXPECT_EQ(parse_reply(replies[2])->status, reply_status::ok) << replies[2];
  EXPECT_EQ(db.scalar("select count(*) from sc.sc_user_event"), "2");
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

TEST(db_writer, a_session_number_another_transaction_commits_during_the_batch_is_a_duplicate) {
  // The race the session ledger's producer lock settles (sql/0015): a resend of sequence 5
  // commits through another transaction after this batch read the ledger and while it writes
  // its events. Without the lock both runs would commit, and sequence 5's event twice.
  test::test_database db;
  db.migrate();
  event_batch batch;
  for (uint64_t seq = 3; seq <= 7; ++seq) {
    batch_message m;
    m.seq = seq;
    m.id = "m" + std::to_string(seq);
    m.session = {"racer", seq};
    m.content = decode_payload(R"([{"user_id": )" + std::to_string(seq)
                               + R"(, "event_type": "a", "event_time": "2019-01-01T00:00:00Z"}])");
    batch.rows += m.content.accepted;
    batch.messages.push_back(std::move(m));
  }
  auto other = db.connect();
  auto resend = std::make_unique<pqxx::work>(other);
  resend->exec("select scpipe.lock_session_producers('{racer}')");
  resend->exec0("insert into sc.sc_user_event (user_id, event_ts, event_type) "
                "values (5, '2019-01-01 00:00:00+00', 'a')");
  resend->exec0("insert into scpipe.session_ledger "
                "(producer, first_seq, last_seq, accepted, rejected, payload_digests) "
                "values ('racer', 5, 5, '{1}', '{0}', '{null}')");
  std::vector<db::message_outcome> out;
  std::string failed;
  std::thread writer{[&] {
    try {
      auto conn = db.connect();
      db::configure_writer_session(conn, {"UTC", std::chrono::milliseconds{30000}});
      out = db::write_event_batch(conn, batch, false);
    } catch (const std::exception& e) {
      failed = e.what();
    }
  }};
  // The batch has read the ledger and copied its events, and waits for the producer's lock.
  bool waited = test::eventually([&] { return db.lock_waiters() == 1; }, 20s);
  resend->commit();
  writer.join();
  ASSERT_TRUE(waited) << "the batch did not wait for the producer's lock";
  ASSERT_EQ(failed, "");
  ASSERT_EQ(out.size(), 5u);
  for (const auto& o : out)
    EXPECT_EQ(o.status, o.seq == 5 ? reply_status::duplicate : reply_status::ok) << o.seq;
  EXPECT_EQ(db.scalar("select count(*) from sc.sc_user_event where user_id = 5"), "1");
  EXPECT_EQ(db.scalar("select count(*) from sc.sc_user_event"), "5");
  EXPECT_EQ(db.scalar("select string_agg(first_seq || '-' || last_seq, ' ' order by first_seq) "
                      "from scpipe.session_ledger"),
            "3-4 5-5 6-7");
}
