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
create function scpipe.upstream_int(p_value json) returns int
language sql immutable parallel safe as $$
  select case
    when json_typeof(p_value) in ('number', 'string')
         and (p_value #>> '{}') ~ '^\s*-?[0-9]{1,10}\s*$'
         and trim(p_value #>> '{}')::bigint between -2147483648 and 2147483647
    then trim(p_value #>> '{}')::int
  end
$$;

-- Contract: a flag given as a JSON boolean, or "TRUE"/"FALSE"/"true"/"false"/"1"/"0" (any case),
-- or the numbers 1/0; else NULL (also for a missing value: check the input to tell them apart).
create function scpipe.upstream_bool(p_value json) returns boolean
language sql immutable parallel safe as $$
  select case json_typeof(p_value)
    when 'boolean' then (p_value #>> '{}')::boolean
    when 'string' then case lower(p_value #>> '{}') when 'true' then true when '1' then true
                                                   when 'false' then false when '0' then false end
    when 'number' then case p_value::text when '1' then true when '0' then false end
  end
$$;

-- Contract: a timestamp as upstream writes it, or NULL when it is not one (wrong shape or an
-- impossible date such as 2019-02-30). Accepted: ISO-8601 'YYYY-MM-DD[T ]HH:MM:SS[.ffffff]'
-- with an optional 'Z' or '±hh[:mm]' zone, and 'M/D/YYYY H:MM:SS'. A time without zone is a
-- local time in p_tz (an IANA name such as 'UTC' or 'Australia/Sydney').
create function scpipe.parse_upstream_ts(p_text text, p_tz text) returns timestamptz
language plpgsql stable parallel safe as $$
declare
  m text[];
  y int; mo int; d int; h int; mi int; s float8;
  zone text;
  local_ts timestamp;
begin
  if p_text is null then
    return null;
  end if;
  m := regexp_match(p_text,
    '^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\.[0-9]{1,6})?)(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$');
  if m is not null then
    y := m[1]; mo := m[2]; d := m[3]; h := m[4]; mi := m[5]; s := m[6]; zone := m[7];
  else
    m := regexp_match(p_text, '^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2}):([0-9]{2})$');
    if m is null then
      return null;
    end if;
    mo := m[1]; d := m[2]; y := m[3]; h := m[4]; mi := m[5]; s := m[6];
  end if;
  if y < 1 or mo not between 1 and 12 or d < 1
     or d > extract(day from make_date(y, mo, 1) + interval '1 month' - interval '1 day')
     or h > 23 or mi > 59 or s >= 60 then
    return null;
  end if;
  local_ts := make_timestamp(y, mo, d, h, mi, s);
  if zone is null then
    return local_ts at time zone p_tz;
  elsif zone = 'Z' then
    return local_ts at time zone 'UTC';
  end if;
  -- '+05:30' means local = UTC + 5h30, so UTC = local - 5h30.
  zone := replace(zone, ':', '');
  if substr(zone, 2, 2)::int > 18 or coalesce(nullif(substr(zone, 4, 2), ''), '0')::int > 59 then
    return null;
  end if;
  return (local_ts - (case left(zone, 1) when '-' then -1 else 1 end)
                     * (make_interval(hours => substr(zone, 2, 2)::int)
                        + make_interval(mins => coalesce(nullif(substr(zone, 4, 2), ''), '0')::int)))
         at time zone 'UTC';
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
language plpgsql as $$
declare
  run scpipe.etl_run;
  run_ts timestamptz;
  doc_from bigint;
  crm_from bigint;
  doc_to bigint;
  crm_to bigint;
begin
  perform pg_advisory_xact_lock(7526103542461919572);  -- 'scpipe user etl'
  lock table staging.sc_user_document, staging.crm_customer in share mode;
  perform now() at time zone p_timezone;  -- an unknown time zone fails here, before any work
  run_ts := clock_timestamp();

  select coalesce(max(r.document_seq), 0), coalesce(max(r.crm_seq), 0)
    into doc_from, crm_from from scpipe.etl_run r;
  if p_full then
    doc_from := 0;
    crm_from := 0;
  end if;
  select coalesce(max(load_seq), 0) into doc_to from staging.sc_user_document;
  select coalesce(max(load_seq), 0) into crm_to from staging.crm_customer;
  insert into scpipe.etl_run (started_at, full_run, document_seq, crm_seq)
    values (run_ts, p_full, doc_to, crm_to) returning * into run;

  drop table if exists etl_doc, etl_checklist, etl_inspection, etl_winner, etl_candidate, etl_changed;

  -- 1. The new documents, their fields extracted once.
  create temp table etl_doc on commit drop as
  select d.load_seq,
         json_typeof(d.user_document) = 'object' as is_object,
         x.user_id as raw_user_id,
         scpipe.upstream_int(x.user_id) as user_id,
         x.user_email,
         x.on_trial as raw_on_trial,
         scpipe.upstream_bool(x.on_trial) as on_trial,
         x.active as raw_active,
         scpipe.upstream_bool(x.active) as active,
         x.signup_ts as raw_signup_ts,
         scpipe.parse_upstream_ts(x.signup_ts, p_timezone) as signup_ts,
         x.checklist,
         x.inspection
  from staging.sc_user_document d
  left join lateral json_to_record(case when json_typeof(d.user_document) = 'object'
                                        then d.user_document end)
       as x(user_id json, user_email text, on_trial json, active json, signup_ts text,
            checklist json, inspection json) on true
  where d.load_seq > doc_from and d.load_seq <= doc_to;

  -- 2. Their nested arrays, flattened (position kept: the last of a repeated id wins).
  create temp table etl_checklist on commit drop as
  select d.load_seq, e.pos,
         case when json_typeof(e.item) = 'object' then e.item ->> 'checklist_id' end as checklist_id,
         e.item ->> 'checklist_name' as checklist_name,
         e.item ->> 'created_on' as raw_created_on,
         scpipe.parse_upstream_ts(e.item ->> 'created_on', p_timezone) as created_on_ts
  from etl_doc d, json_array_elements(d.checklist) with ordinality as e(item, pos)
  where json_typeof(d.checklist) = 'array';

  create temp table etl_inspection on commit drop as
  select d.load_seq, e.pos,
         case when json_typeof(e.item) = 'object' then e.item ->> 'inspection_id' end as inspection_id,
         e.item ->> 'inspection_ts' as raw_inspection_ts,
         scpipe.parse_upstream_ts(e.item ->> 'inspection_ts', p_timezone) as inspection_ts,
         e.item ->> 'created_ts' as raw_created_ts,
         scpipe.parse_upstream_ts(e.item ->> 'created_ts', p_timezone) as created_ts
  from etl_doc d, json_array_elements(d.inspection) with ordinality as e(item, pos)
  where json_typeof(d.inspection) = 'array';

  -- 3. Unusable documents: recorded with the first reason found.
  with reasons as (
    select d.load_seq,
      case
        when not d.is_object then 'document is not a JSON object'
        when d.raw_user_id is null or json_typeof(d.raw_user_id) = 'null' then 'user_id is missing'
        when d.user_id is null then 'user_id is not an integer of at most 32 bits: ' || d.raw_user_id::text
        when d.raw_signup_ts is not null and d.signup_ts is null
          then 'signup_ts is not a timestamp: ' || d.raw_signup_ts
        when json_typeof(d.raw_on_trial) not in ('null') and d.on_trial is null
          then 'on_trial is not a boolean: ' || d.raw_on_trial::text
        when json_typeof(d.raw_active) not in ('null') and d.active is null
          then 'active is not a boolean: ' || d.raw_active::text
        when length(d.user_email) > 200 then 'user_email is longer than 200 characters'
        when json_typeof(d.checklist) not in ('array', 'null') then 'checklist is not an array'
        when json_typeof(d.inspection) not in ('array', 'null') then 'inspection is not an array'
        else (select 'checklist[' || (c.pos - 1) || ']: '
                     || case when c.checklist_id is null then 'checklist_id is missing'
                             when length(c.checklist_id) > 200 or length(c.checklist_name) > 200
                               then 'a value is longer than 200 characters'
                             else 'created_on is not a timestamp: ' || c.raw_created_on end
              from etl_checklist c
              where c.load_seq = d.load_seq
                and (c.checklist_id is null or length(c.checklist_id) > 200
                     or length(c.checklist_name) > 200
                     or (c.raw_created_on is not null and c.created_on_ts is null))
              order by c.pos limit 1)
      end as reason
    from etl_doc d
  ), reasons2 as (
    select r.load_seq,
      coalesce(r.reason,
             (select 'inspection[' || (i.pos - 1) || ']: '
                     || case when i.inspection_id is null then 'inspection_id is missing'
                             when length(i.inspection_id) > 200 then 'inspection_id is longer than 200 characters'
                             when i.raw_inspection_ts is not null and i.inspection_ts is null
                               then 'inspection_ts is not a timestamp: ' || i.raw_inspection_ts
                             else 'created_ts is not a timestamp: ' || i.raw_created_ts end
              from etl_inspection i
              where i.load_seq = r.load_seq
                and (i.inspection_id is null or length(i.inspection_id) > 200
                     or (i.raw_inspection_ts is not null and i.inspection_ts is null)
                     or (i.raw_created_ts is not null and i.created_ts is null))
              order by i.pos limit 1)) as reason
    from reasons r
  )
  insert into scpipe.rejected_user_document (load_seq, run_id, reason)
  select load_seq, run.run_id, reason from reasons2 where reason is not null
  on conflict (load_seq) do update set run_id = excluded.run_id, reason = excluded.reason,
                                       rejected_at = excluded.rejected_at;
  get diagnostics run.rejected = row_count;

  -- 4. The winning new document of each user: the usable one loaded last.
  create temp table etl_winner on commit drop as
  select distinct on (d.user_id) d.*
  from etl_doc d
  where not exists (select 1 from scpipe.rejected_user_document r
                    where r.load_seq = d.load_seq and r.run_id = run.run_id)
  order by d.user_id, d.load_seq desc;

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
         b.signup_ts, b.active, b.load_seq
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
  where not exists (select 1 from only sc.sc_user u where u.user_id = c.user_id);
  get diagnostics run.inserted = row_count;
  -- (the insert above saw the candidates inserted by itself as absent: rows it adds are not
  --  visible to its own NOT EXISTS, which is what makes this count right)

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
