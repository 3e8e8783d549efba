-- 0009: sc.sc_user_event partitioned by event_ts (docs/schema.md, "Events by time").
--
-- The table becomes a declaratively range-partitioned one: one partition per interval of
-- event_ts (events.partition_interval: day, week or month, in UTC), plus a default partition
-- for any time outside the partitions made, so no event is refused for its time. The service
-- makes the partitions ahead (scpipe.make_event_partitions) and drops whole partitions past
-- events.retention (scpipe.drop_event_partitions): never a DELETE of events.
--
-- The contract changes only as partitioning requires: the same columns, types and defaults,
-- user_event_id still drawn from its own sequence (owned by the new column), but event_ts is
-- NOT NULL and the primary key is (user_event_id, event_ts): a partitioned table's unique keys
-- must hold its partition key.
--
-- Existing events are moved here into monthly partitions, one per month that holds events, in
-- this migration's transaction (minutes for tens of millions of rows; the writers wait). Views
-- on the table (sc.first_week_logins, and any of the analysts' own) are made again from their
-- definitions, with their comments and grants; so are the table's grants.

do $$
declare
  missing bigint;
begin
  select count(*) into missing from sc.sc_user_event where event_ts is null;
  if missing > 0 then
    raise exception 'sc.sc_user_event holds % events without event_ts; partitioning by event_ts '
                    'needs one on every event: set or delete them, then run scpipe migrate again',
                    missing;
  end if;
end
$$;

-- Grants (an ACL, as pg_class.relacl holds it) given again on a table or view; aclexplode's
-- grantee 0 is PUBLIC.
create function pg_temp.grant_acl(p_to regclass, p_acl aclitem[])
returns void
language plpgsql
as $$
declare
  g record;
begin
  for g in select grantee, privilege_type, is_grantable from aclexplode(p_acl) loop
    execute format('grant %s on %s to %s%s', g.privilege_type, p_to,
                   case when g.grantee = 0 then 'public' else quote_ident(g.grantee::regrole::text) end,
                   case when g.is_grantable then ' with grant option' else '' end);
  end loop;
end
$$;

-- The views that read the table, as they are now (names are printed schema-qualified).
create temporary table saved_view on commit drop as
select c.oid::regclass::text as name, pg_get_viewdef(c.oid) as definition,
       obj_description(c.oid, 'pg_class') as note, c.relacl as acl
from pg_class c
where c.relkind = 'v'
  and c.oid in (select r.ev_class from pg_rewrite r join pg_depend d on d.objid = r.oid
                where d.classid = 'pg_rewrite'::regclass
                  and d.refobjid = 'sc.sc_user_event'::regclass);

do $$
declare
  v record;
begin
  -- Without CASCADE: a view that another object depends on stops the migration, naming it.
  for v in select name from saved_view loop
    execute format('drop view %s', v.name);
  end loop;
end
$$;

alter table sc.sc_user_event rename to sc_user_event_unpartitioned;
alter index sc.sc_user_event_pkey rename to sc_user_event_unpartitioned_pkey;

create table sc.sc_user_event (
    like sc.sc_user_event_unpartitioned including defaults including comments
) partition by range (event_ts);
alter table sc.sc_user_event alter column event_ts set not null;
alter table sc.sc_user_event add primary key (user_event_id, event_ts);
alter sequence sc.sc_user_event_user_event_id_seq owned by sc.sc_user_event.user_event_id;
select pg_temp.grant_acl('sc.sc_user_event',
                         (select relacl from pg_class
                          where oid = 'sc.sc_user_event_unpartitioned'::regclass));
create table sc.sc_user_event_default partition of sc.sc_user_event default;
comment on table sc.sc_user_event_default is
  'Events whose event_ts falls outside every partition made (see scpipe.event_partition).';

-- Range partitions on a timestamptz key: sc.sc_user_event's here, scpipe.event_ledger's from
-- sql/0010. Each with its parent and bounds [lower_ts, upper_ts) (both null for a default
-- partition).
create view scpipe.range_partition as
select i.inhparent::regclass as parent,
       c.relname::text as name,
       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']*)''\)'))[1]::timestamptz
         as lower_ts,
       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']*)''\)'))[1]::timestamptz
         as upper_ts
from pg_inherits i
join pg_class c on c.oid = i.inhrelid
join pg_partitioned_table p on p.partrelid = i.inhparent;

-- The event partitions, for people.
create view scpipe.event_partition as
select name, lower_ts, upper_ts from scpipe.range_partition
where parent = 'sc.sc_user_event'::regclass;

-- Makes the partition of p_parent for the interval (day, week or month, in UTC) holding p_ts,
-- named <parent>_YYYY_MM (month) or <parent>_YYYY_MM_DD, unless a partition already covers any
-- of that interval. Rows the default partition holds for the interval move into it. Returns
-- its name when it was made, else null.
create function scpipe.ensure_partition(p_parent regclass, p_interval text, p_ts timestamptz)
returns text
language plpgsql
as $$
declare
  v_lower timestamptz;
  v_upper timestamptz;
  v_schema text;
  v_table text;
  v_key text;
  v_default regclass;
  part text;
begin
  if p_interval is null or p_interval not in ('day', 'week', 'month') then
    raise exception 'partition interval must be day, week or month, not %',
      coalesce(p_interval, 'null');
  end if;
  v_lower := date_trunc(p_interval, p_ts at time zone 'UTC') at time zone 'UTC';
  v_upper := (date_trunc(p_interval, p_ts at time zone 'UTC') + ('1 ' || p_interval)::interval)
              at time zone 'UTC';
  if exists (select from scpipe.range_partition p
             where p.parent = p_parent and p.lower_ts < v_upper and p.upper_ts > v_lower) then
    return null;
  end if;
  select n.nspname, c.relname, a.attname, nullif(pt.partdefid, 0)::regclass
    into v_schema, v_table, v_key, v_default
  from pg_partitioned_table pt
  join pg_class c on c.oid = pt.partrelid
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = pt.partrelid and a.attnum = pt.partattrs[0]
  where pt.partrelid = p_parent;
  part := v_table || '_' || to_char(v_lower at time zone 'UTC',
                                    case p_interval when 'month' then 'YYYY_MM'
                                                    else 'YYYY_MM_DD' end);
  -- Made apart and attached: ATTACH checks that the default partition holds nothing of the
  -- interval any more, and locks the parent less than CREATE ... PARTITION OF would.
  execute format('create table %I.%I (like %s including defaults)', v_schema, part, p_parent);
  if v_default is not null then
    execute format('insert into %I.%I select * from %s where %I >= $1 and %I < $2',
                   v_schema, part, v_default, v_key, v_key)
      using v_lower, v_upper;
    execute format('delete from %s where %I >= $1 and %I < $2', v_default, v_key, v_key)
      using v_lower, v_upper;
  end if;
  execute format('alter table %s attach partition %I.%I for values from (%L) to (%L)',
                 p_parent, v_schema, part, v_lower, v_upper);
  return part;
end
$$;

-- Detaches and drops every partition of p_parent whose upper bound is at or before p_before,
-- oldest first; never a default partition, never a DELETE. Returns the names dropped.
create function scpipe.drop_partitions_before(p_parent regclass, p_before timestamptz)
returns setof text
language plpgsql
as $$
declare
  p record;
begin
  for p in select r.name, n.nspname
           from scpipe.range_partition r
           join pg_class c on c.oid = r.parent
           join pg_namespace n on n.oid = c.relnamespace
           where r.parent = p_parent and r.upper_ts <= p_before
           order by r.lower_ts loop
    execute format('alter table %s detach partition %I.%I', p_parent, p.nspname, p.name);
    execute format('drop table %I.%I', p.nspname, p.name);
    return next p.name;
  end loop;
end
$$;

-- The event partition of the interval holding p_ts (scpipe.ensure_partition).
create function scpipe.ensure_event_partition(p_interval text, p_ts timestamptz)
returns text
language sql
as $$
  select scpipe.ensure_partition('sc.sc_user_event', p_interval, p_ts)
$$;

-- The two functions below run as the schema's owner. Only roles with USAGE on schema scpipe
-- can reach them (PUBLIC has none); sql/roles.sql revokes EXECUTE on scpipe's functions from
-- PUBLIC and grants these two to scpipe_writer alone, so the ETL and analysts cannot drop
-- partitions.
--
-- The service's: the partitions of the interval holding now() and of the next p_ahead
-- intervals, where missing. Returns the names made. Runs as the schema's owner (the service's
-- login may only insert events), with a lock timeout so that it never queues the writers
-- behind a long query for minutes: a timeout fails it, and the service tries again later.
create function scpipe.make_event_partitions(p_interval text, p_ahead int)
returns setof text
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
as $$
declare
  i int;
  made text;
begin
  if p_ahead is null or p_ahead < 0 then
    raise exception 'partitions ahead must be 0 or more, not %', coalesce(p_ahead::text, 'null');
  end if;
  for i in 0 .. p_ahead loop
    made := scpipe.ensure_event_partition(p_interval,
                                          now() + make_interval(
                                            days => case p_interval when 'day' then i
                                                                    when 'week' then 7 * i
                                                                    else 0 end,
                                            months => case p_interval when 'month' then i
                                                                      else 0 end));
    if made is not null then
      return next made;
    end if;
  end loop;
end
$$;

-- The service's, for events.retention: detaches and drops every partition whose events all lie
-- before now() - p_retention (its upper bound is at or before that). Never the default
-- partition, never a DELETE. Returns the names dropped, oldest first.
create function scpipe.drop_event_partitions(p_retention interval)
returns setof text
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
as $$
begin
  if p_retention is null or p_retention <= interval '0' then
    raise exception 'event retention must be a positive interval, not %',
      coalesce(p_retention::text, 'null');
  end if;
  return query select scpipe.drop_partitions_before('sc.sc_user_event', now() - p_retention);
end
$$;

-- Move the events there are, month by month.
select scpipe.ensure_event_partition('month', m)
from (select distinct date_trunc('month', event_ts at time zone 'UTC') at time zone 'UTC' as m
      from sc.sc_user_event_unpartitioned) months;
insert into sc.sc_user_event select * from sc.sc_user_event_unpartitioned;
drop table sc.sc_user_event_unpartitioned;

do $$
declare
  v record;
begin
  for v in select * from saved_view loop
    execute format('create view %s as %s', v.name, v.definition);
    if v.note is not null then
      execute format('comment on view %s is %L', v.name, v.note);
    end if;
    perform pg_temp.grant_acl(v.name::regclass, v.acl);
  end loop;
end
$$;

analyze sc.sc_user_event;
