-- 0015: the session ledger's runs kept apart by a lock per producer and a B-tree, instead of
-- the exclusion constraint of sql/0007 (issue 13; docs/scaling.md, "Producer sessions").
--
-- The GiST entry the constraint made for each run was the dearest part of a batch that is
-- scpipe's own: 0.8-1.1 ms to insert the 9 runs of a batch at full speed, against 0.05-0.07 ms
-- for the same rows in a table with a unique B-tree index, the producers' locks included
-- (2,000 inserts into 200k rows, bench/ledger_gist_keys.sql, fsync on); at light load every
-- message is a run and paid it.
--
-- What keeps two runs of one producer from overlapping now: a writer first takes, in a
-- statement of its own, scpipe.lock_session_producers(the batch's producers), then reads the
-- runs that overlap its sequence numbers and inserts only numbers no run holds. A transaction
-- claiming the same producer at once (a resend racing its original through another writer or
-- another instance) waits for the lock until this one ends, and its read, a later statement,
-- sees this one's runs. The unique index on (producer, last_seq) serves that read, and refuses
-- two runs of one producer ending on the same number whoever inserts them.
--
-- A writer of an earlier scpipe does not take the lock: stop every instance of an earlier
-- version before this migration (docs/operations.md, "Runbook"); a binary that does not know
-- this migration refuses the database when it connects.
create unique index session_ledger_producer_last_seq on scpipe.session_ledger (producer, last_seq);
alter table scpipe.session_ledger drop constraint session_ledger_runs_do_not_overlap;

-- The writers': locks the given producers' sequence numbers until the transaction ends, one
-- advisory lock per producer (keyed by a hash of its id: two producers sharing a hash only
-- wait for each other), taken in key order so two batches never wait on each other in a
-- circle. Call it in its own statement before reading the runs: a statement that started
-- before the lock was granted may not see a run committed while it waited.
create function scpipe.lock_session_producers(p_producers text[])
returns void
language plpgsql
volatile
as $$
begin
  perform pg_advisory_xact_lock(hashtext('scpipe.session_ledger'), k)
  from (select distinct hashtext(p) as k from unnest(p_producers) as p order by k) as keys;
end
$$;
