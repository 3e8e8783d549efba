-- 0012: sc.first_week_logins from counts kept as events arrive (docs/schema.md, "The analysts'
-- first question").
--
-- The view joined every login with the users on each query: seconds at 20M events, growing
-- with the table. Now the logins counted so far are kept per user, and the view adds only the
-- events not counted yet; its answer stays the plain join's, at any moment:
--
--   scpipe.first_week_login   per current user with a first-week login: signup_ts and the
--                             number of its logins in [signup_ts, signup_ts + 7 days] among the
--                             events with user_event_id <= the watermark
--   scpipe.first_week_state   the watermark (counted_through) and when it was taken
--   scpipe.first_week_uncounted()   the same count over the events past the watermark
--
-- The watermark never skips an event that commits late with a smaller id: every statement
-- that inserts into sc.sc_user_event takes a shared advisory lock before its first row draws an
-- id (a BEFORE STATEMENT trigger) and keeps it to its commit; nothing takes it exclusively.
-- scpipe.event_id_horizon() reads the sequence's last value, then waits until the transactions
-- holding that lock at that moment have ended: then every id up to that value is committed (or
-- never will be), and a new snapshot sees them all. scpipe.count_first_week_logins() (the
-- service, every analytics.interval_s) counts the events between the old watermark and that
-- horizon and moves the watermark there.
--
-- Users: counted logins of a user sc.sc_user lacks wait in scpipe.first_week_pending; triggers
-- on sc.sc_user count a new user's from there, and count again, from the events of its new
-- first week, a user whose signup_ts changed (the ETL's new SCD-2 versions). Writers pay no
-- index for this. Retention: dropping an event partition takes its counted logins off first
-- (scpipe.drop_event_partitions).
--
-- The first week is counted with TimeZone UTC: 7 days are 168 hours. The plain join gives the
-- same answer in a session whose TimeZone is UTC (or any zone without daylight saving time).
--
-- Existing events are counted here, in this migration's transaction (about 40 s per 100M events
-- on two cores; the writers wait).

-- Taken shared by every statement that inserts events; event_id_horizon() waits for its holders.
-- 412418576008732273: 'scpipe event ids'. The first week's own work (counting, recounting,
-- dropping partitions) is serialized by 1990722301361777040: 'scpipe first week'.

-- The key holds the count too, and sc_user_id_active below the flag: the view's join of a
-- million users is then a merge of two index-only scans (0.2 s here, against 0.5 s through the
-- tables).
create table scpipe.first_week_login (
    user_id int not null,
    signup_ts timestamptz not null,
    logins bigint not null,
    primary key (user_id) include (logins)
);
comment on table scpipe.first_week_login is
  'Per user: logins in its first week among the events up to scpipe.first_week_state.counted_through.';

create table scpipe.first_week_state (
    only_row boolean primary key default true check (only_row),
    counted_through bigint not null,
    counted_at timestamptz not null
);
comment on table scpipe.first_week_state is
  'Every event with user_event_id <= counted_through is in scpipe.first_week_login; so is every '
  'event committed before counted_at.';
insert into scpipe.first_week_state (counted_through, counted_at) values (0, now());

create index sc_user_id_active on sc.sc_user (user_id) include (active);

-- Counted logins of users sc.sc_user did not have yet (events may come before their user): a
-- new user's first week is counted from here when the ETL inserts it, without reading events.
create table scpipe.first_week_pending (
    user_id int not null,
    event_ts timestamptz not null,
    user_event_id bigint not null
);
create index on scpipe.first_week_pending (user_id);
comment on table scpipe.first_week_pending is
  'Counted logins (user_event_id <= the watermark) of users sc.sc_user did not have when they '
  'were counted; moved into scpipe.first_week_login when the user arrives.';

-- The first week's one definition: an event at p_event_ts falls in the first week of a user
-- who signed up at p_signup_ts (both ends inclusive; no week without a signup). Inlined where
-- it is used.
create function scpipe.in_first_week(p_event_ts timestamptz, p_signup_ts timestamptz)
returns boolean
language sql
stable
as $$
  select p_event_ts between p_signup_ts and p_signup_ts + interval '7 days'
$$;

create function scpipe.event_rows_arrive()
returns trigger
language plpgsql
as $$
begin
  perform pg_advisory_xact_lock_shared(412418576008732273);  -- 'scpipe event ids'
  return null;
end
$$;

create trigger event_ids_drawn before insert on sc.sc_user_event
  for each statement execute function scpipe.event_rows_arrive();

-- The transactions (virtual ids) holding the event-id lock now: inserts into sc.sc_user_event
-- in flight. pg_locks shows an advisory lock's bigint key in two halves.
create function scpipe.event_inserts_in_flight()
returns setof text
language sql
stable
as $$
  select l.virtualtransaction from pg_locks l
  where l.locktype = 'advisory'
    and l.database = (select d.oid from pg_database d where d.datname = current_database())
    and l.classid = (412418576008732273 >> 32)::oid
    and l.objid = (412418576008732273 & 4294967295)::oid
    and l.objsubid = 1
$$;

-- The highest event id such that every event with an id up to it is committed or never will
-- be (see above). Reads the sequence, then waits for the inserts that held the lock at that
-- moment to end: any of them may have drawn a smaller id. It takes no lock itself, so it never
-- holds an insert back; an insert open for over 5 s fails it (lock_not_available), for the
-- caller to try again later.
create function scpipe.event_id_horizon()
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  horizon bigint;
  inserting text[];
  give_up timestamptz := clock_timestamp() + interval '5 seconds';
begin
  -- A cached sequence hands ranges of ids to sessions ahead of use: no horizon holds then.
  if (select seqcache from pg_sequence
      where seqrelid = 'sc.sc_user_event_user_event_id_seq'::regclass) > 1 then
    raise exception 'sc.sc_user_event_user_event_id_seq caches ids (CACHE > 1): the first-week counts need CACHE 1';
  end if;
  horizon := coalesce(pg_sequence_last_value('sc.sc_user_event_user_event_id_seq'), 0);
  inserting := array(select scpipe.event_inserts_in_flight());
  while cardinality(inserting) > 0
        and exists (select from scpipe.event_inserts_in_flight() t(vxid)
                    where t.vxid = any (inserting)) loop
    if clock_timestamp() > give_up then
      raise exception 'an insert into sc.sc_user_event has been open for over 5 s; the first-week count waits for it and tries again later'
        using errcode = 'lock_not_available';
    end if;
    perform pg_sleep(0.002);
  end loop;
  return horizon;
end
$$;

-- The logins with p_after < user_event_id <= p_through, each with its user's signup_ts as
-- sc.sc_user has it now (known: whether the user is there). Inlined into its callers, so they
-- plan it with their bounds: the partitions' primary keys are read from p_after on, not every
-- event.
create function scpipe.logins_between(p_after bigint, p_through bigint)
returns table (user_id int, event_ts timestamptz, user_event_id bigint, signup_ts timestamptz,
               known boolean)
language sql
stable
as $$
  select e.user_id, e.event_ts, e.user_event_id, u.signup_ts, u.user_id is not null
  from sc.sc_user_event e
  left join only sc.sc_user u on u.user_id = e.user_id
  where e.user_event_id > p_after and e.user_event_id <= p_through
    and e.event_type = 'login'
$$;

-- The first-week logins of the events past the watermark, per user (only users with one), as
-- the calling statement's snapshot sees them: with scpipe.first_week_login of that snapshot,
-- every event is counted once.
create function scpipe.first_week_uncounted()
returns table (user_id int, logins bigint)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
-- The watermark is known when the query is planned.
set plan_cache_mode = force_custom_plan
rows 1000
as $$
declare
  counted bigint := (select s.counted_through from scpipe.first_week_state s);
begin
  return query select l.user_id, count(*)
               from scpipe.logins_between(counted, 9223372036854775807) l
               where scpipe.in_first_week(l.event_ts, l.signup_ts)
               group by l.user_id;
end
$$;

-- Moves the watermark to p_horizon: the logins in between are added to their users' counts,
-- and those of users sc.sc_user does not have yet wait in scpipe.first_week_pending. The caller
-- holds the first week's lock. Returns the number of users whose count grew.
create function scpipe.count_logins_through(p_horizon bigint, p_taken_at timestamptz)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
set plan_cache_mode = force_custom_plan
-- A few seconds of events at full speed are a few hundred thousand logins: hashed in memory.
set work_mem = '64MB'
as $$
declare
  counted bigint := (select s.counted_through from scpipe.first_week_state s);
  grown bigint;
begin
  with fresh as materialized (
    select * from scpipe.logins_between(counted, p_horizon)
  ), waiting as (
    insert into scpipe.first_week_pending (user_id, event_ts, user_event_id)
    select f.user_id, f.event_ts, f.user_event_id from fresh f where not f.known
  )
  insert into scpipe.first_week_login as k (user_id, signup_ts, logins)
  select f.user_id, f.signup_ts, count(*)
  from fresh f
  where f.known and scpipe.in_first_week(f.event_ts, f.signup_ts)
  group by f.user_id, f.signup_ts
  on conflict (user_id) do update set logins = k.logins + excluded.logins;
  get diagnostics grown = row_count;
  update scpipe.first_week_state set counted_through = p_horizon, counted_at = p_taken_at;
  return grown;
end
$$;

-- Triggers on sc.sc_user, in the changing transaction (each waits for a count in progress).
-- A new user's counted logins are those that waited for it in scpipe.first_week_pending: no
-- event is read.
create function scpipe.first_week_users_added()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
set plan_cache_mode = force_custom_plan
as $$
begin
  perform pg_advisory_xact_lock(1990722301361777040);  -- 'scpipe first week'
  delete from scpipe.first_week_login k using added a where k.user_id = a.user_id;
  insert into scpipe.first_week_login (user_id, signup_ts, logins)
  select a.user_id, a.signup_ts, count(*)
  from added a
  join scpipe.first_week_pending p on p.user_id = a.user_id
  where scpipe.in_first_week(p.event_ts, a.signup_ts)
  group by a.user_id, a.signup_ts;
  delete from scpipe.first_week_pending p using added a where p.user_id = a.user_id;
  return null;
end
$$;

-- A user whose signup_ts changed (a new SCD-2 version; rare) is counted again from the events:
-- those up to the watermark in its new first week, in the partitions that week falls in.
create function scpipe.first_week_users_changed()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
set plan_cache_mode = force_custom_plan
as $$
declare
  users int[] := array(select n.user_id from after_update n
                       join before_update o on o.user_id = n.user_id
                       where o.signup_ts is distinct from n.signup_ts);
  counted bigint;
  earliest timestamptz;
  latest timestamptz;
begin
  if cardinality(users) = 0 then
    return null;
  end if;
  perform pg_advisory_xact_lock(1990722301361777040);  -- 'scpipe first week'
  counted := (select s.counted_through from scpipe.first_week_state s);
  delete from scpipe.first_week_login k using unnest(users) c(user_id) where k.user_id = c.user_id;
  select min(n.signup_ts), max(n.signup_ts) into earliest, latest
  from after_update n where n.user_id = any (users);
  -- Constants when planned, so only the partitions of those weeks are read.
  insert into scpipe.first_week_login (user_id, signup_ts, logins)
  select n.user_id, n.signup_ts, count(*)
  from after_update n
  join sc.sc_user_event e on e.user_id = n.user_id
  where n.user_id = any (users)
    and e.event_type = 'login'
    and e.user_event_id <= counted
    and e.event_ts between earliest and latest + interval '7 days'
    and scpipe.in_first_week(e.event_ts, n.signup_ts)
  group by n.user_id, n.signup_ts;
  return null;
end
$$;

create trigger first_week_users_added after insert on sc.sc_user
  referencing new table as added
  for each statement execute function scpipe.first_week_users_added();
create trigger first_week_users_changed after update on sc.sc_user
  referencing old table as before_update new table as after_update
  for each statement execute function scpipe.first_week_users_changed();

-- Moves the watermark to the horizon, counting the logins in between. Returns nothing when
-- another session is at it (another instance, or the ETL counting users): the next call does.
create function scpipe.count_first_week_logins()
returns table (users bigint, counted_through bigint, counted_at timestamptz)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  horizon bigint;
  taken_at timestamptz;
  grown bigint;
begin
  if not pg_try_advisory_xact_lock(1990722301361777040) then  -- 'scpipe first week'
    return;
  end if;
  -- Before the horizon reads the sequence: a transaction committed by then drew its ids
  -- before, so they are all up to the horizon.
  taken_at := clock_timestamp();
  horizon := scpipe.event_id_horizon();
  grown := scpipe.count_logins_through(horizon, taken_at);
  return query select grown, horizon, taken_at;
end
$$;

-- Counts everything again from the events there are: for an operator who deleted events or
-- users by hand (docs/operations.md). Waits for a count in progress.
create function scpipe.rebuild_first_week()
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  horizon bigint;
  taken_at timestamptz;
begin
  perform pg_advisory_xact_lock(1990722301361777040);  -- 'scpipe first week'
  delete from scpipe.first_week_login;
  delete from scpipe.first_week_pending;
  update scpipe.first_week_state set counted_through = 0;
  taken_at := clock_timestamp(); -- before the horizon, as in count_first_week_logins
  horizon := scpipe.event_id_horizon();
  perform scpipe.count_logins_through(horizon, taken_at);
  return horizon;
end
$$;

-- Dropping event partitions past retention (0009) takes their counted logins off first, and
-- forgets their logins still waiting for a user.
create or replace function scpipe.drop_event_partitions(p_retention interval)
returns setof text
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
set timezone = 'UTC'
set plan_cache_mode = force_custom_plan
as $$
declare
  p record;
  before timestamptz := now() - p_retention;
  counted bigint;
begin
  if p_retention is null or p_retention <= interval '0' then
    raise exception 'event retention must be a positive interval, not %',
      coalesce(p_retention::text, 'null');
  end if;
  perform pg_advisory_xact_lock(1990722301361777040);  -- 'scpipe first week'
  counted := (select s.counted_through from scpipe.first_week_state s);
  for p in select r.name, r.lower_ts, r.upper_ts from scpipe.event_partition r
           where r.upper_ts <= before loop
    -- The partition holds exactly the events of [lower_ts, upper_ts): known when planned, so
    -- only it is read.
    update scpipe.first_week_login f set logins = f.logins - gone.logins
    from (select l.user_id, count(*) as logins
          from scpipe.logins_between(0, counted) l
          where l.event_ts >= p.lower_ts and l.event_ts < p.upper_ts
            and scpipe.in_first_week(l.event_ts, l.signup_ts)
          group by l.user_id) gone
    where f.user_id = gone.user_id;
    delete from scpipe.first_week_pending w
    where w.event_ts >= p.lower_ts and w.event_ts < p.upper_ts;
  end loop;
  return query select scpipe.drop_partitions_before('sc.sc_user_event', before);
end
$$;

-- The view reads the counts; its columns are the same.
create or replace view sc.first_week_logins as
select u.user_id,
       u.active,
       coalesce(f.logins, 0) + coalesce(d.logins, 0) as first_week_logins
from only sc.sc_user u
left join scpipe.first_week_login f on f.user_id = u.user_id
left join scpipe.first_week_uncounted() d on d.user_id = u.user_id;

comment on view sc.first_week_logins is
  'Per current user: active flag and count of login events in [signup_ts, signup_ts + 7 days] '
  '(days of 24 hours). Reads the counts kept in scpipe.first_week_login plus the events not '
  'counted yet: the same answer as the plain join (docs/schema.md).';

-- For analysts and scpipe report: how far the kept counts reach (the view is whole anyway).
create view sc.first_week_counted as
select counted_through, counted_at from scpipe.first_week_state;
comment on view sc.first_week_counted is
  'The events sc.first_week_logins has counted ahead: user_event_id <= counted_through, and '
  'every event committed before counted_at. Later ones are counted when the view is read.';

-- The events there are.
select scpipe.rebuild_first_week();
