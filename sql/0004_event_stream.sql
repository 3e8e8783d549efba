-- 0004: the event stream's bookkeeping (protocol.md).
--
--   producer ─▶ broker ─▶ batcher ─▶ db_writer: one transaction per batch of whole messages
--                                     ├─▶ sc.sc_user_event          accepted events
--                                     ├─▶ scpipe.rejected_event     dead letters, with reasons
--                                     └─▶ scpipe.event_ledger       one row per message id
-- A reply other than "retry" is sent only after that transaction commits, so a message id in
-- the ledger means its events are durable, and a resent id is answered "duplicate".

create table scpipe.event_ledger (
    message_id   bytea primary key,        -- the producer's id (1..255 opaque bytes)
    accepted     int not null,             -- events committed to sc.sc_user_event
    rejected     int not null,             -- events (or -1 payload) written to rejected_event
    committed_at timestamptz not null default now()
);
-- Pruned after broker.dedup_retention_days.
create index event_ledger_committed_at on scpipe.event_ledger (committed_at);
comment on table scpipe.event_ledger is
  'Message ids of committed event messages with their counts: a resent id is answered duplicate';

create table scpipe.rejected_event (
    rejected_event_id bigint generated always as identity primary key,
    message_id        bytea not null,      -- the message it came in
    event_index       int not null,        -- 0-based position in the payload; -1: the whole payload
    reason            text not null,       -- what is wrong, naming the field
    raw_event         text,                -- the event exactly as it came, when it is UTF-8 text
    raw_bytes         bytea,               -- ... otherwise its bytes (invalid UTF-8, NUL)
    received_at       timestamptz not null,-- when the service read the message
    dead_lettered_at  timestamptz not null default now()
);
create index rejected_event_message_id on scpipe.rejected_event (message_id);
comment on table scpipe.rejected_event is
  'Events (or whole payloads) the service refused, with the reason; nothing refused is lost';
