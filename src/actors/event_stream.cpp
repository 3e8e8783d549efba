#include "actors/event_stream.hpp"

#include "actors/broker_listener.hpp"
#include "actors/db_writer.hpp"
#include "actors/event_batcher.hpp"
#include "db/query_interrupt.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

namespace scpipe {

std::vector<child_spec> event_stream_specs(const config& cfg,
                                           std::shared_ptr<const curve_server_keys> curve,
                                           std::shared_ptr<const known_users> known) {
  auto pool = static_cast<size_t>(cfg.database.pool_size);
  auto settings = writer_settings_of(cfg);
  settings.known = std::move(known);
  auto links = std::make_shared<stream_links>(pool);
  std::vector<child_spec> out;
  for (size_t i = 0; i < pool; ++i) {
    auto interrupt = std::make_shared<db::query_interrupt>();
    out.push_back({"db_writer_" + std::to_string(i),
                   [settings, links, i, interrupt](caf::actor_system& sys) {
                     auto w = sys.spawn<caf::detached>(db_writer, settings, i, interrupt);
                     links->writer_started(i, w);
                     return caf::actor_cast<caf::actor>(w);
                   },
                   // Writers stop after the listener drained: one still blocked in a statement
                   // holds only messages already answered `retry`; cancel it rather than wait.
                   [interrupt] { interrupt->stop(); }});
  }
  out.push_back({"event_batcher", [cfg, links](caf::actor_system& sys) {
                   // Detached: a thread that sleeps on its mailbox, where the shared
                   // scheduler's idle workers would poll (costly next to PostgreSQL on few
                   // cores).
                   auto b =
                       sys.spawn<caf::detached>(event_batcher, batcher_settings_of(cfg), links);
                   links->batcher_started(b);
                   return caf::actor_cast<caf::actor>(b);
                 }});
  out.push_back({"broker_listener", [cfg, links, curve](caf::actor_system& sys) {
                   auto l = sys.spawn<caf::detached>(broker_listener, cfg.broker, links, curve);
                   links->listener_started(l);
                   return caf::actor_cast<caf::actor>(l);
                 }});
  return out;
}

} // namespace scpipe
