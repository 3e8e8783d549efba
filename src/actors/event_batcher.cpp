#include "actors/event_batcher.hpp"

#include "actors/stream_links.hpp"
#include "actors/stream_metrics.hpp"
#include "core/event_payload.hpp"
#include "core/log.hpp"
#include "core/payload_digest.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/system_messages.hpp>

#include <algorithm>

namespace scpipe {

namespace {

constexpr const char* component = "event_batcher";

using self_pointer = event_batcher_actor::stateful_pointer<event_batcher_state>;
using clock = std::chrono::steady_clock;

void dispatch(self_pointer self);

void add_writer(self_pointer self, const db_writer_actor& w) {
  auto& ws = self->state.writers;
  if (!w || std::any_of(ws.begin(), ws.end(), [&](const auto& s) { return s.handle == w; }))
    return;
  self->monitor(w);
  ws.push_back({w, nullptr});
}

event_batcher_state::writer_slot* find_slot(self_pointer self, const caf::actor_addr& addr) {
  for (auto& s : self->state.writers)
    if (s.handle.address() == addr)
      return &s;
  return nullptr;
}

/// Forgets the writer at `addr`, which is gone (its down message, or a request bounced from
/// its mailbox; whichever comes first): the batch it held goes back to the front, to be written
/// by another writer. Nothing of it was committed, or the ledger answers `duplicate` for what was.
void writer_lost(self_pointer self, const caf::actor_addr& addr, const std::string& why) {
  auto& ws = self->state.writers;
  auto it =
      std::find_if(ws.begin(), ws.end(), [&](const auto& s) { return s.handle.address() == addr; });
  if (it == ws.end())
    return; // already forgotten, its batch taken back then
  auto batch = std::move(it->batch);
  ws.erase(it);
  if (batch) {
    log::warn(component, "a writer failed with a batch; handing it to another",
              {{"messages", batch->messages.size()}, {"error", why}});
    stream_metrics::get().batches_reassigned.inc();
    self->state.builder.put_back(*batch);
  }
  dispatch(self);
}

void forward(self_pointer self, reply_batch replies) {
  if (auto listener = self->state.links->listener())
    self->send(listener, std::move(replies));
}

/// Hands due batches to free writers; arms the linger reminder for an open batch.
void dispatch(self_pointer self) {
  auto& st = self->state;
  for (auto& slot : st.writers) {
    if (slot.batch)
      continue;
    auto batch = st.builder.take(clock::now());
    if (!batch)
      break;
    auto shared = std::make_shared<const event_batch>(std::move(*batch));
    slot.batch = shared;
    if (log::enabled(log::level::debug))
      log::debug(component, "batch dispatched",
                 {{"writer", static_cast<int64_t>(&slot - st.writers.data())},
                  {"messages", shared->messages.size()},
                  {"rows", shared->rows},
                  {"bytes", shared->bytes},
                  {"messages_waiting", st.builder.messages()}});
    auto addr = slot.handle.address();
    self->request(slot.handle, caf::infinite, shared_batch{shared})
        .then(
            [=](reply_batch& replies) {
              if (auto* s = find_slot(self, addr))
                s->batch.reset();
              self->state.last_write = clock::now();
              forward(self, std::move(replies));
              dispatch(self);
            },
            // A writer answers only with replies: an error means the request found it gone.
            [=](caf::error& err) { writer_lost(self, addr, self->system().render(err)); });
  }
  stream_metrics::get().batcher_messages.set(static_cast<int64_t>(st.builder.messages()));
  // While every writer is busy the next reply calls dispatch again; no timer needed.
  bool free_writer =
      std::any_of(st.writers.begin(), st.writers.end(), [](const auto& s) { return !s.batch; });
  if (auto due = st.builder.due(); due && free_writer && !st.linger_scheduled) {
    st.linger_scheduled = true;
    self->delayed_send(self, std::max(clock::duration::zero(), *due - clock::now()),
                       linger_atom::value);
  }
}

} // namespace

batcher_settings batcher_settings_of(const config& cfg) {
  batcher_settings out;
  out.max_rows = static_cast<uint64_t>(cfg.batcher.max_rows);
  out.max_bytes = static_cast<uint64_t>(cfg.batcher.max_bytes);
  out.linger = std::chrono::milliseconds{cfg.batcher.linger_ms};
  out.max_message_bytes = static_cast<uint64_t>(cfg.broker.max_message_bytes);
  return out;
}

event_batcher_actor::behavior_type event_batcher(self_pointer self, batcher_settings settings,
                                                 std::shared_ptr<stream_links> links) {
  auto& st = self->state;
  st.settings = settings;
  st.links = std::move(links);
  st.builder = batch_builder{settings.max_rows, settings.max_bytes, settings.linger};
  for (const auto& w : st.links->writers())
    add_writer(self, w);
  self->set_down_handler([=](caf::down_msg& msg) {
    writer_lost(self, msg.source, self->system().render(msg.reason));
  });
  self->delayed_send(self, settings.prune_interval, prune_atom::value);
  self->delayed_send(self, settings.probe_interval, probe_atom::value);
  return {
      [=](raw_messages& round) {
        auto& st = self->state;
        const auto now = clock::now();
        for (auto& m : round.messages) {
          batch_message bm;
          bm.seq = m.seq;
          bm.id = std::move(m.id);
          bm.received_at_us = m.received_at_us;
          bm.session = std::move(m.session);
          if (m.too_large) {
            bm.content = reject_payload("payload is " + std::to_string(m.size)
                                        + " bytes, more than broker.max_message_bytes ("
                                        + std::to_string(st.settings.max_message_bytes) + ")");
          } else {
            bm.digest = payload_digest(m.payload);
            bm.content = decode_payload(m.payload);
          }
          st.builder.add(std::move(bm), now);
        }
        dispatch(self);
      },
      [=](writer_up_atom, db_writer_actor& w) {
        add_writer(self, w);
        dispatch(self);
      },
      [=](linger_atom) {
        self->state.linger_scheduled = false;
        dispatch(self);
      },
      [=](prune_atom) {
        auto& ws = self->state.writers;
        if (!ws.empty())
          self->send(ws.front().handle, prune_atom::value);
        self->delayed_send(self, self->state.settings.prune_interval, prune_atom::value);
      },
      [=](probe_atom) {
        auto& st = self->state;
        self->delayed_send(self, st.settings.probe_interval, probe_atom::value);
        if (clock::now() - st.last_write < st.settings.probe_interval)
          return;
        auto free = std::find_if(st.writers.begin(), st.writers.end(),
                                 [](const auto& s) { return !s.batch; });
        if (free != st.writers.end())
          self->send(free->handle, probe_atom::value);
      },
  };
}

} // namespace scpipe
