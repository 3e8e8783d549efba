-- 0007: producer sessions (docs/protocol.md, "Producer sessions").
-- A message sent with a session frame ("<producer> <sequence>") is remembered by its producer
-- and sequence number instead of by its message id: one row per run of consecutive sequence
-- numbers of one producer committed in one batch, with each message's counts and payload digest
-- in arrays (element k is sequence first_seq + k). A batch of 400 one-event messages from 16
-- producers writes about 16 rows here instead of 400 event_ledger rows.
--
-- The exclusion constraint is what makes it exactly-once: two transactions claiming
-- overlapping runs of one producer (a resend racing its original through another writer or
-- another instance) cannot both commit; the second fails with 23P01 and its writer's retry
-- finds the first's row. btree_gist gives GiST the text equality the constraint needs; it is a
-- trusted extension (any role that may create objects in this database may create it), and it
-- goes into schema scpipe so that nothing is added to public.
create extension if not exists btree_gist with schema scpipe;

create table scpipe.session_ledger (
    producer        text not null,          -- the producer id of the session frame
    first_seq       bigint not null,        -- the run's first sequence number
    last_seq        bigint not null,        -- and its last (first_seq + the arrays' length - 1)
    accepted        int[] not null,         -- per sequence number: events committed
    rejected        int[] not null,         -- per sequence number: events (or -1 payload) dead-lettered
    payload_digests bigint[] not null,      -- per sequence number: core/payload_digest.hpp, null: unknown
    committed_at    timestamptz not null default now(),
    constraint session_ledger_runs_do_not_overlap
        exclude using gist (producer with =, int8range(first_seq, last_seq, '[]') with &&),
    constraint session_ledger_run_is_ordered check (first_seq >= 0 and last_seq >= first_seq)
);
-- Pruned after broker.dedup_retention_days; rows arrive in commit order, so a BRIN index is
-- enough and costs the writers next to nothing.
create index session_ledger_committed_at on scpipe.session_ledger using brin (committed_at);
comment on table scpipe.session_ledger is
  'Runs of committed sequence numbers per producer session: a resent sequence is answered duplicate';
