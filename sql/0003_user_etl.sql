-- 0003: the user dimension's SCD type-2 ETL (schema.md), incremental.
--
--   staging.sc_user_document ─┐  rows with load_seq above the last run's watermarks
--   staging.crm_customer ─────┴─▶ scpipe.run_user_etl() ─▶ only sc.sc_user   (current versions)
--                                        │                 sc.sc_user_hist   (earlier versions)
--                                        │                 sc.sc_user_checklist / _inspection
--                                        └─▶ scpipe.etl_run (one row per run, the watermarks)
--                                            scpipe.rejected_user_document (unusable documents)

-- -- load order ----------------------------------------------------------------------------
-- created_on_ts is equal for every row of one load, so "the row loaded last" needs a sequence.
-- Appended after the contract columns; rows inserted by upstream systems with plain SQL get one
-- too. Existing rows are numbered in their physical order.
alter table staging.sc_user_document add column load_seq bigint generated always as identity;
alter table staging.crm_customer add column load_seq bigint generated always as identity;
create unique index sc_user_document_load_seq on staging.sc_user_document (load_seq);
create unique index crm_customer_load_seq on staging.crm_customer (load_seq);
-- The CRM row loaded last for an e-mail, found by index for each affected user.
create index crm_customer_email_load_seq on staging.crm_customer (lower(customer_email), load_seq desc);
-- Users whose CRM row changed, found by their e-mail.
create index sc_user_lower_email on sc.sc_user (lower(user_email));

-- -- flattened arrays of the winning document --------------------------------------------------
create table sc.sc_user_checklist (
    user_id        int not null,
    checklist_id   varchar(200) not null,
    checklist_name varchar(200),
    created_on_ts  timestamptz,
    primary key (user_id, checklist_id)
);

create table sc.sc_user_inspection (
    user_id       int not null,
    inspection_id varchar(200) not null,
    inspection_ts timestamptz,
    created_ts    timestamptz,
    primary key (user_id, inspection_id)
);

-- -- bookkeeping -------------------------------------------------------------------------------
create table scpipe.etl_run (
    run_id       bigserial primary key,
    started_at   timestamptz not null,
    finished_at  timestamptz,
    full_run     boolean not null,
    -- watermarks: every staging row with load_seq <= these was considered by this run or earlier
    document_seq bigint not null,
    crm_seq      bigint not null,
    inserted     int not null default 0,
    changed      int not null default 0,
    unchanged    int not null default 0,
    rejected     int not null default 0
);
comment on table scpipe.etl_run is 'One row per user-ETL run: its watermarks and what it did';

create table scpipe.rejected_user_document (
    load_seq    bigint primary key,   -- staging.sc_user_document.load_seq of the document
    run_id      bigint not null references scpipe.etl_run,
    reason      text not null,
    rejected_at timestamptz not null default now()
);
comment on table scpipe.rejected_user_document is
  'User documents the ETL could not use, with the reason; the document stays in staging';

-- -- upstream value parsers: NULL for anything unusable, never an error ------------------------

-- Contract: an integer that fits int4, given as a JSON number or a string of digits; else NULL.
create function scpipe.upstream_int(p_value jsonb) returns int
language sql immutable parallel safe as $$
  select case
    when jsonb_typeof(p_value) in ('number', 'string') and (p_value #>> '{}') ~ '^[ \t]*-?[0-9]{1,10}[ \t]*$'
    then case
      when btrim(p_value #>> '{}', E' \t')::bigint between -2147483648 and 2147483647
      then btrim(p_value #>> '{}', E' \t')::int
    end
  end
$$;

-- Contract: a flag given as a JSON boolean, or "TRUE"/"FALSE"/"true"/"false"/"1"/"0" (any case),
-- or the numbers 1/0; else NULL (also for a missing value: check the input to tell them apart).
create function scpipe.upstream_bool(p_value jsonb) returns boolean
language sql immutable parallel safe as $$
  select case jsonb_typeof(p_value)
    when 'boolean' then (p_value #>> '{}')::boolean
    when 'string' then case lower(p_value #>> '{}') when 'true' then true when '1' then true
                                                   when 'false' then false when '0' then false end
    when 'number' then case p_value::text when '1' then true when '0' then false end
  end
$$;

-- Contract: the number of days of a month (m in 1..12, y >= 1).
create function scpipe.days_in_month(y int, m int) returns int
language sql immutable parallel safe as $$
  select extract(day from make_date(y, m, 1) + interval '1 month' - interval '1 day')::int
$$;

-- Contract: a timestamp as upstream writes it, or NULL when it is not one (wrong shape or an
-- impossible date such as 2019-02-30); never an error. Accepted: ISO-8601
-- 'YYYY-MM-DD[T ]HH:MM:SS[.ffffff]' with an optional 'Z' or '±hh[:mm]' zone, and
-- 'M/D/YYYY H:MM:SS'. A time without zone is a local time in p_tz (an IANA name).
-- Plain SQL, so the planner inlines it: one regular expression checks the shape, substrings
-- check the ranges, and the casts run only on text that passed (nested CASEs keep that order).
create function scpipe.parse_upstream_ts(p_text text, p_tz text) returns timestamptz
language sql stable parallel safe as $$
  select case
    when p_text ~ '^[0-9]{4}-[0-9][0-9]-[0-9][0-9][T ][0-9][0-9]:[0-9][0-9]:[0-9][0-9](\.[0-9]{1,6})?(Z|[+-][0-9][0-9](:?[0-9][0-9])?)?$'
    then case
      when substr(p_text, 1, 4) <> '0000'
           and substr(p_text, 6, 2) between '01' and '12'
           and substr(p_text, 9, 2) >= '01'
           and substr(p_text, 9, 2)::int <= scpipe.days_in_month(substr(p_text, 1, 4)::int, substr(p_text, 6, 2)::int)
           and substr(p_text, 12, 2) <= '23' and substr(p_text, 15, 2) <= '59' and substr(p_text, 18, 2) <= '59'
      then case
        when position('+' in substr(p_text, 20)) + position('-' in substr(p_text, 20))
             + position('Z' in substr(p_text, 20)) = 0
        then p_text::timestamp at time zone p_tz
        when substring(p_text from '(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$') ~ '^(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)$'
        then p_text::timestamptz
      end
    end
    when p_text ~ '^[0-9][0-9]?/[0-9][0-9]?/[0-9]{4} [0-9][0-9]?:[0-9][0-9]:[0-9][0-9]$'
    then case
      when split_part(split_part(p_text, ' ', 1), '/', 3) <> '0000'
           and split_part(p_text, '/', 1)::int between 1 and 12
           and split_part(p_text, '/', 2)::int between 1 and
               scpipe.days_in_month(split_part(split_part(p_text, ' ', 1), '/', 3)::int,
                                    split_part(p_text, '/', 1)::int)
           and split_part(split_part(p_text, ' ', 2), ':', 1)::int <= 23
           and split_part(p_text, ':', 2) <= '59' and split_part(p_text, ':', 3) <= '59'
      then (make_date(split_part(split_part(p_text, ' ', 1), '/', 3)::int, split_part(p_text, '/', 1)::int,
                      split_part(p_text, '/', 2)::int)
            + split_part(p_text, ' ', 2)::time) at time zone p_tz
    end
  end
$$;

-- Contract: the jsonb form of a JSON text, or NULL when jsonb cannot hold it (a \u0000 escape,
-- a number beyond numeric's range). Slow (a subtransaction a call): used only by the rare run
-- that meets such a document.
create function scpipe.try_jsonb(p_doc json) returns jsonb
language plpgsql immutable as $$  -- not parallel safe: subtransactions
begin
  return p_doc::jsonb;
exception when data_exception or feature_not_supported then
  -- feature_not_supported: a \u escape for a character the database encoding lacks
  return null;
end
$$;

-- -- the ETL -------------------------------------------------------------------------------------

-- Contract (schema.md, "The user ETL"): merges the staging rows loaded since the last run into
-- the SCD type-2 user dimension and returns this run's scpipe.etl_run row.
--  * Only users affected by new rows are looked at: users with a new usable document, and users
--    whose e-mail has a new CRM row. Cost grows with the change, not with staging.
--    p_full = true considers every staging row instead (a full recompute; same result).
--  * The usable document loaded last wins. CRM attributes come from the CRM row loaded last for
--    the same e-mail (case-insensitive); 'unknown' when there is none (or the field is empty).
--  * New users: effective 1970-01-01 .. 2199-12-31. Changed users (null-safe comparison): the
--    current row goes to sc.sc_user_hist ending at the run time, the new one starts there.
--    Unchanged users are not touched; a second run changes nothing.
--  * Documents with an unusable user_id, timestamp, flag or array are recorded in
--    scpipe.rejected_user_document with the reason; the rest load.
--  * One run at a time (advisory lock; a second caller waits). Loads in flight are waited for
--    (SHARE lock on the staging tables) so no row below the new watermarks appears later.
create function scpipe.run_user_etl(p_timezone text default 'UTC', p_full boolean default false)
returns scpipe.etl_run
language plpgsql
-- Plan every statement with this run's statistics: the first run sees empty tables.
set plan_cache_mode = force_custom_plan
as $$
declare
  run scpipe.etl_run;
  run_ts timestamptz;
  doc_from bigint;
  crm_from bigint;
  doc_to bigint;
  crm_to bigint;
  to_jsonb_expr text;
begin
  -- The wait for loads in flight below only helps if each statement takes a new snapshot.
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception 'scpipe.run_user_etl needs a READ COMMITTED transaction, not %',
      current_setting('transaction_isolation');
  end if;
  perform pg_advisory_xact_lock(7526103542461919572);  -- 'scpipe user etl'
  lock table staging.sc_user_document, staging.crm_customer in share mode;
  perform now() at time zone p_timezone;  -- an unknown time zone fails here, before any work
  -- Versions start and end at run times: keep them increasing even if the clock steps back.
  run_ts := greatest(clock_timestamp(),
                     (select r.started_at + interval '1 millisecond' from scpipe.etl_run r
                      order by r.run_id desc limit 1));

  select coalesce(max(r.document_seq), 0), coalesce(max(r.crm_seq), 0)
    into doc_from, crm_from from scpipe.etl_run r;
  if p_full then
    doc_from := 0;
    crm_from := 0;
  end if;
  select coalesce(max(load_seq), 0) into doc_to from staging.sc_user_document;
  select coalesce(max(load_seq), 0) into crm_to from staging.crm_customer;
  -- A large arrival makes the planner's statistics stale (a first load: empty); refresh them
  -- so the big statements get parallel, hash-based plans. Small increments skip this.
  if doc_to - doc_from > greatest(10000, 0.1 * (select reltuples from pg_class
                                                where oid = 'staging.sc_user_document'::regclass)) then
    analyze staging.sc_user_document;
  end if;
  if crm_to - crm_from > greatest(10000, 0.1 * (select reltuples from pg_class
                                                where oid = 'staging.crm_customer'::regclass)) then
    analyze staging.crm_customer;
  end if;
  insert into scpipe.etl_run (started_at, full_run, document_seq, crm_seq)
    values (run_ts, p_full, doc_to, crm_to) returning * into run;

  drop table if exists pg_temp.etl_doc, pg_temp.etl_checklist, pg_temp.etl_inspection,
                       pg_temp.etl_winner, pg_temp.etl_candidate, pg_temp.etl_changed;

  -- 1. The new documents, their fields extracted once (parsed once, as jsonb). A few valid
  --    JSON texts have no jsonb form (a \u0000 escape, a number beyond numeric's range): if
  --    one is among them, convert document by document instead (slower, without parallel
  --    workers), so only that one is rejected.
  foreach to_jsonb_expr in array array['d.user_document::jsonb', 'scpipe.try_jsonb(d.user_document)'] loop
    begin
      execute format($q$
        create temp table etl_doc on commit drop as
        select d.load_seq,
               json_typeof(d.user_document) = 'object' as is_object,
               j.doc is not null as converted,
               x.user_id as raw_user_id,
               scpipe.upstream_int(x.user_id) as user_id,
               x.user_email,
               x.on_trial as raw_on_trial,
               scpipe.upstream_bool(x.on_trial) as on_trial,
               x.active as raw_active,
               scpipe.upstream_bool(x.active) as active,
               x.signup_ts as raw_signup_ts,
               scpipe.parse_upstream_ts(x.signup_ts, $3) as signup_ts,
               x.checklist,
               x.inspection
        from staging.sc_user_document d
        cross join lateral (select case when json_typeof(d.user_document) = 'object'
                                        then %s end as doc) j
        left join lateral jsonb_to_record(j.doc)
             as x(user_id jsonb, user_email text, on_trial jsonb, active jsonb, signup_ts text,
                  checklist jsonb, inspection jsonb) on true
        where d.load_seq > $1 and d.load_seq <= $2
      $q$, to_jsonb_expr) using doc_from, doc_to, p_timezone;
      exit;
    exception when data_exception or feature_not_supported then
      if to_jsonb_expr like 'scpipe.try_jsonb%' then
        raise;
      end if;
    end;
  end loop;
  analyze etl_doc;

  -- 2. Their nested arrays, flattened (position kept: the last of a repeated id wins).
  create temp table etl_checklist on commit drop as
  select d.load_seq, e.pos,
         case when jsonb_typeof(e.item) = 'object' then e.item ->> 'checklist_id' end as checklist_id,
         e.item ->> 'checklist_name' as checklist_name,
         e.item ->> 'created_on' as raw_created_on,
         scpipe.parse_upstream_ts(e.item ->> 'created_on', p_timezone) as created_on_ts
  from etl_doc d, jsonb_array_elements(d.checklist) with ordinality as e(item, pos)
  where jsonb_typeof(d.checklist) = 'array';

  create temp table etl_inspection on commit drop as
  select d.load_seq, e.pos,
         case when jsonb_typeof(e.item) = 'object' then e.item ->> 'inspection_id' end as inspection_id,
         e.item ->> 'inspection_ts' as raw_inspection_ts,
         scpipe.parse_upstream_ts(e.item ->> 'inspection_ts', p_timezone) as inspection_ts,
         e.item ->> 'created_ts' as raw_created_ts,
         scpipe.parse_upstream_ts(e.item ->> 'created_ts', p_timezone) as created_ts
  from etl_doc d, jsonb_array_elements(d.inspection) with ordinality as e(item, pos)
  where jsonb_typeof(d.inspection) = 'array';

  -- 3. Unusable documents: recorded with the first reason found. Set-based: the first bad
  --    element of each document's arrays is found in one pass over each array table.
  analyze etl_checklist;
  analyze etl_inspection;
  with bad_checklist as (
    select distinct on (c.load_seq) c.load_seq,
           'checklist[' || (c.pos - 1) || ']: '
           || case when c.checklist_id is null then 'checklist_id is missing'
                   when length(c.checklist_id) > 200 or length(c.checklist_name) > 200
                     then 'a value is longer than 200 characters'
                   else 'created_on is not a timestamp: ' || c.raw_created_on end as reason
    from etl_checklist c
    where c.checklist_id is null or length(c.checklist_id) > 200 or length(c.checklist_name) > 200
       or (c.raw_created_on is not null and c.created_on_ts is null)
    order by c.load_seq, c.pos
  ), bad_inspection as (
    select distinct on (i.load_seq) i.load_seq,
           'inspection[' || (i.pos - 1) || ']: '
           || case when i.inspection_id is null then 'inspection_id is missing'
                   when length(i.inspection_id) > 200 then 'inspection_id is longer than 200 characters'
                   when i.raw_inspection_ts is not null and i.inspection_ts is null
                     then 'inspection_ts is not a timestamp: ' || i.raw_inspection_ts
                   else 'created_ts is not a timestamp: ' || i.raw_created_ts end as reason
    from etl_inspection i
    where i.inspection_id is null or length(i.inspection_id) > 200
       or (i.raw_inspection_ts is not null and i.inspection_ts is null)
       or (i.raw_created_ts is not null and i.created_ts is null)
    order by i.load_seq, i.pos
  ), reasons as (
    select d.load_seq,
      case
        when not d.is_object then 'document is not a JSON object'
        when not d.converted
          then 'document holds a value jsonb cannot store here (a \u escape the database cannot represent, or a number out of range)'
        when d.raw_user_id is null or jsonb_typeof(d.raw_user_id) = 'null' then 'user_id is missing'
        when d.user_id is null then 'user_id is not an integer of at most 32 bits: ' || d.raw_user_id::text
        when d.raw_signup_ts is not null and d.signup_ts is null
          then 'signup_ts is not a timestamp: ' || d.raw_signup_ts
        when jsonb_typeof(d.raw_on_trial) <> 'null' and d.on_trial is null
          then 'on_trial is not a boolean: ' || d.raw_on_trial::text
        when jsonb_typeof(d.raw_active) <> 'null' and d.active is null
          then 'active is not a boolean: ' || d.raw_active::text
        when length(d.user_email) > 200 then 'user_email is longer than 200 characters'
        when jsonb_typeof(d.checklist) not in ('array', 'null') then 'checklist is not an array'
        when jsonb_typeof(d.inspection) not in ('array', 'null') then 'inspection is not an array'
        else coalesce(bc.reason, bi.reason)
      end as reason
    from etl_doc d
    left join bad_checklist bc on bc.load_seq = d.load_seq
    left join bad_inspection bi on bi.load_seq = d.load_seq
  )
  insert into scpipe.rejected_user_document (load_seq, run_id, reason)
  select load_seq, run.run_id, reason from reasons where reason is not null
  on conflict (load_seq) do update set run_id = excluded.run_id, reason = excluded.reason,
                                       rejected_at = excluded.rejected_at;
  get diagnostics run.rejected = row_count;

  -- 4. The winning new document of each user: the usable one loaded last.
  create temp table etl_winner on commit drop as
  select distinct on (d.user_id) d.load_seq, d.user_id, d.user_email, d.on_trial, d.signup_ts, d.active
  from etl_doc d
  where not exists (select 1 from scpipe.rejected_user_document r
                    where r.load_seq = d.load_seq and r.run_id = run.run_id)
  order by d.user_id, d.load_seq desc;
  create index on etl_winner (user_id);
  analyze etl_winner;

  -- 5. Candidate versions: winners, plus current users whose e-mail got a new CRM row, with the
  --    CRM attributes of the row loaded last for their e-mail.
  create temp table etl_candidate on commit drop as
  with base as (
    select w.user_id, w.user_email, w.on_trial, w.signup_ts, w.active, w.load_seq
    from etl_winner w
    union all
    select u.user_id, u.user_email, u.on_trial, u.signup_ts, u.active, null
    from only sc.sc_user u
    where lower(u.user_email) in (select lower(c.customer_email) from staging.crm_customer c
                                  where c.load_seq > crm_from and c.load_seq <= crm_to)
      and not exists (select 1 from etl_winner w where w.user_id = u.user_id)
  )
  select b.user_id, b.user_email::varchar(200) as user_email, b.on_trial,
         coalesce(nullif(crm.industry, ''), 'unknown')::varchar(200) as user_industry,
         coalesce(nullif(crm.region, ''), 'unknown')::varchar(200) as user_region,
         coalesce(nullif(crm.company_name, ''), 'unknown')::varchar(200) as user_company,
         b.signup_ts, b.active, b.load_seq,
         exists (select 1 from only sc.sc_user u where u.user_id = b.user_id) as is_current
  from base b
  left join lateral (select c.industry, c.region, c.company_name
                     from staging.crm_customer c
                     where lower(c.customer_email) = lower(b.user_email) and c.load_seq <= crm_to
                     order by lower(c.customer_email), c.load_seq desc
                     limit 1) crm on true;
  create index on etl_candidate (user_id);
  analyze etl_candidate;

  -- 6. Changed users: the current row moves to the history, ending now.
  create temp table etl_changed on commit drop as
  select c.*
  from etl_candidate c
  join only sc.sc_user u on u.user_id = c.user_id
  where (u.user_email, u.on_trial, u.user_industry, u.user_region, u.user_company, u.signup_ts, u.active)
        is distinct from
        (c.user_email, c.on_trial, c.user_industry, c.user_region, c.user_company, c.signup_ts, c.active);
  create index on etl_changed (user_id);
  analyze etl_changed;

  insert into sc.sc_user_hist (user_id, user_email, on_trial, user_industry, user_region, user_company,
                               signup_ts, active, effective_from_ts, effective_to_ts, created_on_ts)
  select u.user_id, u.user_email, u.on_trial, u.user_industry, u.user_region, u.user_company,
         u.signup_ts, u.active, u.effective_from_ts, run_ts, u.created_on_ts
  from only sc.sc_user u join etl_changed c on c.user_id = u.user_id;

  update only sc.sc_user u
  set user_email = c.user_email, on_trial = c.on_trial, user_industry = c.user_industry,
      user_region = c.user_region, user_company = c.user_company, signup_ts = c.signup_ts,
      active = c.active, effective_from_ts = run_ts, effective_to_ts = '2199-12-31 00:00:00+00',
      created_on_ts = now()
  from etl_changed c
  where u.user_id = c.user_id;
  get diagnostics run.changed = row_count;

  -- 7. New users, in force since 1970 so that earlier events still join them.
  insert into sc.sc_user (user_id, user_email, on_trial, user_industry, user_region, user_company,
                          signup_ts, active, effective_from_ts, effective_to_ts)
  select c.user_id, c.user_email, c.on_trial, c.user_industry, c.user_region, c.user_company,
         c.signup_ts, c.active, '1970-01-01 00:00:00+00', '2199-12-31 00:00:00+00'
  from etl_candidate c
  where not c.is_current;
  get diagnostics run.inserted = row_count;

  run.unchanged := (select count(*) from etl_candidate) - run.inserted - run.changed;

  -- 8. Arrays of users whose winning document is new: replaced wholesale.
  delete from sc.sc_user_checklist t using etl_winner w where t.user_id = w.user_id;
  insert into sc.sc_user_checklist (user_id, checklist_id, checklist_name, created_on_ts)
  select distinct on (w.user_id, c.checklist_id) w.user_id, c.checklist_id, c.checklist_name, c.created_on_ts
  from etl_winner w join etl_checklist c on c.load_seq = w.load_seq
  order by w.user_id, c.checklist_id, c.pos desc;

  delete from sc.sc_user_inspection t using etl_winner w where t.user_id = w.user_id;
  insert into sc.sc_user_inspection (user_id, inspection_id, inspection_ts, created_ts)
  select distinct on (w.user_id, i.inspection_id) w.user_id, i.inspection_id, i.inspection_ts, i.created_ts
  from etl_winner w join etl_inspection i on i.load_seq = w.load_seq
  order by w.user_id, i.inspection_id, i.pos desc;

  update scpipe.etl_run r
  set finished_at = clock_timestamp(), inserted = run.inserted, changed = run.changed,
      unchanged = run.unchanged, rejected = run.rejected
  where r.run_id = run.run_id
  returning * into run;
  return run;
end
$$;
