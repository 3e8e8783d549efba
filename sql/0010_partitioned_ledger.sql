-- 0010: scpipe.event_ledger partitioned by generation (docs/schema.md, "The ledger by
-- generation").
--
-- The id ledger is pruned by dropping whole partitions, not by DELETE. Rows are filed under the
-- day the current generation began (ledger_day); a new generation begins once the current one
-- is broker.dedup_retention_days old, and a generation is dropped once its successor is that
-- old too: an id is remembered for at least the retention and at most twice it, and a claim
-- probes at most two generations (and the default partition) instead of one index per day.
-- A partitioned table's unique key must hold its partition key, so the primary key becomes
-- (message_id, ledger_day) and exactly-once across generations rests on this:
--  * every batch transaction that claims ids reads the day to file them under with
--    scpipe.ledger_day(), which takes a shared advisory lock held to the transaction's end;
--  * scpipe.roll_ledger_day() begins a new generation under the same lock taken exclusively,
--    so it waits for every batch in flight and every later batch waits for it;
--  * a claim inserts an id only if no earlier generation holds it (and ON CONFLICT within its
--    own).
-- Two transactions claiming the same id therefore either file it under the same generation,
-- where the unique index orders them, or one committed before the roll and the other, having
-- waited for it, sees that commit. The session ledger (sql/0007) stays one table: PostgreSQL 15 cannot
-- partition a table with an exclusion constraint, and it holds one row per producer per batch.

create table scpipe.ledger_epoch (
    only_row boolean primary key default true check (only_row),
    day      timestamptz not null       -- midnight UTC of the day the current generation began
);
insert into scpipe.ledger_epoch (day)
values (date_trunc('day', now() at time zone 'UTC') at time zone 'UTC');
comment on table scpipe.ledger_epoch is
  'The generation new event_ledger rows are filed under: the day it began (scpipe.ledger_day)';

alter table scpipe.event_ledger rename to event_ledger_unpartitioned;
alter index scpipe.event_ledger_pkey rename to event_ledger_unpartitioned_pkey;
drop index scpipe.event_ledger_committed_at; -- pruning no longer scans by time

create table scpipe.event_ledger (
    like scpipe.event_ledger_unpartitioned including defaults including comments,
    ledger_day timestamptz not null         -- its generation's first day: scpipe.ledger_day()
) partition by range (ledger_day);
alter table scpipe.event_ledger add primary key (message_id, ledger_day);
create table scpipe.event_ledger_default partition of scpipe.event_ledger default;
comment on table scpipe.event_ledger is
  'Message ids of committed event messages with their counts, by generation: a resent id is '
  'answered duplicate';

-- The rows there are, each under the day it was committed (old generations of one day each,
-- dropped as any other).
select scpipe.ensure_partition('scpipe.event_ledger', 'day', d)
from (select distinct date_trunc('day', committed_at at time zone 'UTC') at time zone 'UTC' as d
      from scpipe.event_ledger_unpartitioned
      union
      select day from scpipe.ledger_epoch) days;
insert into scpipe.event_ledger
select l.*, date_trunc('day', l.committed_at at time zone 'UTC') at time zone 'UTC'
from scpipe.event_ledger_unpartitioned l;
drop table scpipe.event_ledger_unpartitioned;

-- The writers': the day to file this transaction's claims under. The shared lock is what
-- scpipe.roll_ledger_day waits for; the day is read after it is granted, in a statement of its
-- own, so it is the one in force for the whole transaction. Call it in its own statement
-- before the claim: a statement that started before the lock was granted may not see a claim
-- committed while it waited.
create function scpipe.ledger_day()
returns timestamptz
language plpgsql
volatile
as $$
begin
  perform pg_advisory_xact_lock_shared(7526103542461919573);  -- 'scpipe ledger day'
  return (select e.day from scpipe.ledger_epoch e);
end
$$;

-- The service's, at start and every hour: once the current generation is p_days old (UTC
-- days), a new one begins today, with its partition. Runs as the schema's owner, with a lock
-- timeout: the roll waits for the batches in flight and holds new ones until it commits, at
-- most 5 s; past that it fails and is tried again later (rows stay in the old generation
-- meanwhile: harmless). Returns the day the current generation began.
create function scpipe.roll_ledger_day(p_days int)
returns timestamptz
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
as $$
declare
  today timestamptz := date_trunc('day', now() at time zone 'UTC') at time zone 'UTC';
begin
  if p_days is null or p_days < 1 then
    raise exception 'ledger retention must be 1 day or more, not %', coalesce(p_days::text, 'null');
  end if;
  if (select e.day from scpipe.ledger_epoch e) <= today - make_interval(days => p_days) then
    perform scpipe.ensure_partition('scpipe.event_ledger', 'day', today);
    perform pg_advisory_xact_lock(7526103542461919573);
    update scpipe.ledger_epoch set day = today;
  end if;
  return (select e.day from scpipe.ledger_epoch e);
end
$$;

-- The service's, for broker.dedup_retention_days: drops every generation whose successor
-- began at least p_days ago (nothing filed under it is younger than that). Never the current
-- generation, never the default partition. Returns the names dropped, oldest first.
create function scpipe.drop_ledger_partitions(p_days int)
returns setof text
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
as $$
declare
  last_dropped timestamptz;
begin
  if p_days is null or p_days < 1 then
    raise exception 'ledger retention must be 1 day or more, not %', coalesce(p_days::text, 'null');
  end if;
  select max(g.lower_ts) into last_dropped
  from (select r.lower_ts, lead(r.lower_ts) over (order by r.lower_ts) as next_lower
        from scpipe.range_partition r
        where r.parent = 'scpipe.event_ledger'::regclass and r.lower_ts is not null) g
  where g.next_lower <= now() - make_interval(days => p_days);
  if last_dropped is not null then
    return query select scpipe.drop_partitions_before('scpipe.event_ledger',
                                                      last_dropped + interval '1 day');
  end if;
end
$$;
