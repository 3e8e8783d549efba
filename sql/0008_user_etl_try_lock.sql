-- 0008: one user-ETL run at a time across instances, without queueing (docs/scaling.md).
-- scpipe.run_user_etl (0003) takes its transaction-level advisory lock and waits for it: right
-- for `scpipe etl`, which an operator runs to get a run. The ETL scheduler of each `scpipe run`
-- instance calls this first, in the same transaction, and skips its tick when another run
-- (another instance's scheduler, a `scpipe etl`) holds the lock; the run it then starts takes
-- the same lock again, which an advisory lock allows its holder at once.
create function scpipe.try_lock_user_etl()
returns boolean
language sql
volatile
as $$
  select pg_try_advisory_xact_lock(7526103542461919572)  -- 0003's key: 'scpipe user etl'
$$;
