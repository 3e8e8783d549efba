#pragma once

#include "actors/actors.hpp"
#include "core/config.hpp"
#include "core/known_users.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace scpipe {

namespace db {
class connection;
class query_interrupt;
} // namespace db

/// What a writer is told at spawn.
struct writer_settings {
  database_config database;
  /// Zone of event times written without one (etl.timezone).
  std::string timezone = etl_config{}.timezone;
  /// Longest a batch may keep failing before its messages are answered `retry`; also each
  /// statement's timeout, so a blocked table cannot hold a writer longer.
  std::chrono::milliseconds write_deadline{database_config{}.write_deadline_ms};
  /// Ledger rows older than this many days are pruned.
  int64_t dedup_retention_days = broker_config{}.dedup_retention_days;
  /// Retry backoff after a failure: doubles from initial up to max.
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{2000};
  /// The dimension's user ids, to count committed events of users it lacks; null: no count.
  std::shared_ptr<const known_users> known;
  /// Whether committed events go to the live feed (broker.publish_endpoint set).
  bool feed = false;
};

writer_settings writer_settings_of(const config& cfg);

/// A writer's state: its connection and the batch it is working on.
struct db_writer_state {
  static inline const char* name = "db_writer";

  writer_settings settings;
  size_t index = 0;
  std::unique_ptr<db::connection> conn;
  /// What db::schema_mismatch said when `conn` was opened ("" when the schema is this binary's).
  std::string schema_mismatch;
  /// Lets the supervisor cancel a statement this writer is blocked in when the service stops.
  std::shared_ptr<db::query_interrupt> interrupt;

  /// The batch being written, kept across retries.
  struct held_batch {
    shared_batch batch;
    caf::typed_response_promise<reply_batch> promise;
    std::chrono::steady_clock::time_point first_failure{};
    bool failed = false;
    /// An attempt's commit had an unknown outcome (connection lost during COMMIT).
    bool maybe_committed = false;
    std::chrono::milliseconds backoff{0};
    std::string last_error;
  };
  std::optional<held_batch> held;
  /// Batches sent while one is held (only after the batcher restarted, not knowing this
  /// writer was busy): written in turn, not refused.
  std::deque<held_batch> waiting;
  /// Since when the database has been failing (unset while it works).
  std::optional<std::chrono::steady_clock::time_point> failing_since;

  db_writer_state();
  ~db_writer_state();
};

/// One writer of the pool: writes whole batches with db::write_event_batch, one at a time.
///
///   batch ─▶ attempt ─ok─▶ replies (ok / partial / rejected / duplicate)
///              │ connection lost, timeout, disk full, …
///              ▼
///            backoff (50 ms doubling to 2 s) ─▶ attempt again (same batch, reconnecting)
///              └── failing past write_deadline ─▶ replies `retry` (nothing was committed)
db_writer_actor::behavior_type db_writer(db_writer_actor::stateful_pointer<db_writer_state> self,
                                         writer_settings settings, size_t index,
                                         std::shared_ptr<db::query_interrupt> interrupt);

} // namespace scpipe
