-- 0011: the user ETL reads fields the loader staged, instead of parsing every document again
-- (issue 14, docs/schema.md "Staged fields").
--
--   scpipe load-users: parse once (C++) ─▶ staging.sc_user_document: user_document, as it came
--                                                                     staged_* fields, when plain
--   scpipe.run_user_etl: staged rows ─▶ read as they are ─┐
--                        other rows  ─▶ parsed as jsonb ──┴▶ the same steps as before
--
-- The loader stages a document only when it is one the ETL's SQL would accept as it stands and
-- reads the same values from (src/core/staged_user.cpp); every other document, and every row
-- inserted by plain SQL, leaves the staged columns NULL and goes the SQL way, which stays the
-- one authority on rejections and their reasons. staged_user_id is set exactly when the rest
-- are meaningful. Timestamps are staged as normalized text ('YYYY-MM-DD HH:MM:SS[.ffffff]',
-- '+hh:mm' or '-hh:mm' appended when upstream gave a zone); the run casts them to timestamptz
-- with its TimeZone set to p_timezone, so a local time is read in that zone (the same
-- conversion as parse_upstream_ts's "at time zone").
alter table staging.sc_user_document
    add column staged_user_id int,
    add column staged_user_email text,
    add column staged_on_trial boolean,
    add column staged_active boolean,
    add column staged_signup_ts text,
    -- checklists and inspections, one array element per entry (ids unique per document)
    add column staged_checklist_id text[],
    add column staged_checklist_name text[],
    add column staged_checklist_created_on text[],
    add column staged_inspection_id text[],
    add column staged_inspection_ts text[],
    add column staged_inspection_created_ts text[];

-- No vacuum for inserts on the staging tables. Each ETL run takes a SHARE lock on them (it waits
-- for loads in flight), which also waits for an autovacuum of them: after deadlock_timeout (1 s
-- a run) PostgreSQL cancels the vacuum, which on a large table then never finishes. Measured at
-- 1M users: a 0.1 s run took 1.1 s. scpipe never updates or deletes staging rows, so all such
-- a vacuum does is set visibility bits and freeze; the operator schedules that at a quiet
-- time (docs/operations.md), and the anti-wraparound vacuum still runs when it must.
alter table staging.sc_user_document set (autovacuum_vacuum_insert_threshold = -1);
alter table staging.crm_customer set (autovacuum_vacuum_insert_threshold = -1);

-- Current users without an e-mail or a signup time, which `scpipe etl` counts after each run:
-- found by these small partial indexes instead of reading every user.
create index sc_user_without_email on sc.sc_user (user_id) where user_email is null or user_email = '';
create index sc_user_without_signup on sc.sc_user (user_id) where signup_ts is null;

-- Contract: ANALYZE of one of the tables the ETL reads or fills, for the ETL's role, which may
-- not own them (PostgreSQL 15 lets only the owner analyze a table). A run that brought many
-- rows refreshes their statistics, so that the next run's plans see the table as it is: a
-- dimension planned as if empty reads every row to change a hundred.
create function scpipe.analyze_etl_table(p_table regclass)
returns void
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_table is null or p_table not in ('staging.sc_user_document'::regclass, 'staging.crm_customer'::regclass,
                                       'sc.sc_user'::regclass, 'sc.sc_user_hist'::regclass,
                                       'sc.sc_user_checklist'::regclass,
                                       'sc.sc_user_inspection'::regclass) then
    raise exception 'scpipe.analyze_etl_table analyzes only the user ETL''s tables, not %',
      coalesce(p_table::text, 'null');
  end if;
  execute format('analyze %s', p_table);
end
$$;

-- The ETL of 0003 with these changes: settings for its plans and TimeZone (below);
-- statistics through analyze_etl_table, also of the tables it filled; staged documents are
-- read, not parsed (steps 1 and 8); the CRM rows by one sort for many candidates or by index
-- for a few (step 5); is_current by a join.
create or replace function scpipe.run_user_etl(p_timezone text default 'UTC', p_full boolean default false)
returns scpipe.etl_run
language plpgsql
-- Plan every statement with this run's statistics: the first run sees empty tables.
set plan_cache_mode = force_custom_plan
-- Sorts and hashes of a first load (a million users) in memory rather than in temp files; one
-- run at a time, so this is the most one ETL session asks for per sort or hash.
set work_mem = '128MB'
-- An incremental run changes a few thousand of a million users: reaching them by index must
-- look cheaper than reading every row, as it is with the tables cached or on SSD (the default
-- 4.0 prices a random read for spinning disks). And no JIT: compiling costs a run of a few
-- users more than executing it, and buys a first load little.
set random_page_cost = 1.1
set jit = off
-- TimeZone is p_timezone inside the run (set_config below), for the casts of staged times;
-- this clause gives the caller's back when the run ends.
set timezone = 'UTC'
as $$
declare
  run scpipe.etl_run;
  parsed_here bigint;  -- documents of this run that the loader did not stage
  docs bigint;         -- documents of this run
  winners bigint;      -- users with a winning document among them
  all_won boolean;     -- every document of this run is its user's winner
  arrays_before boolean;  -- the array tables held rows before this run's step 8
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
  -- An unknown time zone fails here, before any work. A zone abbreviation (PST) converted
  -- times before 0011 but is no TimeZone setting: it is refused with a way out.
  begin
    perform set_config('timezone', p_timezone, true);
  exception when invalid_parameter_value then
    raise exception 'the ETL''s time zone % is not a time zone name (etl.timezone: use a name such as Australia/Sydney or UTC; an abbreviation such as PST is not one)',
      quote_literal(p_timezone) using errcode = 'invalid_parameter_value';
  end;
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
    perform scpipe.analyze_etl_table('staging.sc_user_document');
  end if;
  if crm_to - crm_from > greatest(10000, 0.1 * (select reltuples from pg_class
                                                where oid = 'staging.crm_customer'::regclass)) then
    perform scpipe.analyze_etl_table('staging.crm_customer');
  end if;
  insert into scpipe.etl_run (started_at, full_run, document_seq, crm_seq)
    values (run_ts, p_full, doc_to, crm_to) returning * into run;

  drop table if exists pg_temp.etl_doc, pg_temp.etl_checklist, pg_temp.etl_inspection,
                       pg_temp.etl_winner, pg_temp.etl_base, pg_temp.etl_crm, pg_temp.etl_candidate,
                       pg_temp.etl_changed, pg_temp.etl_new_checklist, pg_temp.etl_new_inspection;

  -- 1. The new documents and their fields. A document scpipe load-users vouched for comes
  --    with its fields staged beside it (0011): read as they are, its checklists and
  --    inspections kept in etl_doc until step 8. Any other document (inserted by plain SQL,
  --    or one the loader found doubtful) is parsed here, once, as jsonb. A few valid JSON
  --    texts have no jsonb form (a \u0000 escape, a number beyond numeric's range): if one is
  --    among them, convert document by document instead (slower, without parallel workers),
  --    so only that one is rejected.
  foreach to_jsonb_expr in array array['d.user_document::jsonb', 'scpipe.try_jsonb(d.user_document)'] loop
    begin
      execute format($q$
        create temp table etl_doc on commit drop as
        select d.load_seq, true as staged, true as is_object, true as converted,
               null::jsonb as raw_user_id, d.staged_user_id as user_id,
               d.staged_user_email as user_email,
               null::jsonb as raw_on_trial, d.staged_on_trial as on_trial,
               null::jsonb as raw_active, d.staged_active as active,
               null::text as raw_signup_ts, d.staged_signup_ts::timestamptz as signup_ts,
               null::jsonb as checklist, null::jsonb as inspection,
               d.staged_checklist_id, d.staged_checklist_name, d.staged_checklist_created_on,
               d.staged_inspection_id, d.staged_inspection_ts, d.staged_inspection_created_ts
        from staging.sc_user_document d
        where d.load_seq > $1 and d.load_seq <= $2 and d.staged_user_id is not null
        union all
        select d.load_seq, false,
               json_typeof(d.user_document) = 'object',
               j.doc is not null,
               x.user_id,
               scpipe.upstream_int(x.user_id),
               x.user_email,
               x.on_trial,
               scpipe.upstream_bool(x.on_trial),
               x.active,
               scpipe.upstream_bool(x.active),
               x.signup_ts,
               scpipe.parse_upstream_ts(x.signup_ts, $3),
               x.checklist,
               x.inspection,
               null, null, null, null, null, null
        from staging.sc_user_document d
        cross join lateral (select case when json_typeof(d.user_document) = 'object'
                                        then %s end as doc) j
        left join lateral jsonb_to_record(j.doc)
             as x(user_id jsonb, user_email text, on_trial jsonb, active jsonb, signup_ts text,
                  checklist jsonb, inspection jsonb) on true
        where d.load_seq > $1 and d.load_seq <= $2 and d.staged_user_id is null
      $q$, to_jsonb_expr) using doc_from, doc_to, p_timezone;
      get diagnostics docs = row_count;
      exit;
    exception when data_exception or feature_not_supported then
      if to_jsonb_expr like 'scpipe.try_jsonb%' then
        raise;
      end if;
    end;
  end loop;
  analyze etl_doc;
  parsed_here := (select count(*) from etl_doc where not staged);

  -- 2. The nested arrays of the documents parsed here, flattened (position kept: the last of a
  --    repeated id wins). Staged documents have none here (checklist and inspection are null);
  --    when every document was staged, steps 2 and 3 read nothing (parsed_here = 0 is known
  --    when each statement is planned).
  create temp table etl_checklist on commit drop as
  select d.load_seq, e.pos,
         case when jsonb_typeof(e.item) = 'object' then e.item ->> 'checklist_id' end as checklist_id,
         e.item ->> 'checklist_name' as checklist_name,
         e.item ->> 'created_on' as raw_created_on,
         scpipe.parse_upstream_ts(e.item ->> 'created_on', p_timezone) as created_on_ts
  from etl_doc d, jsonb_array_elements(d.checklist) with ordinality as e(item, pos)
  where parsed_here > 0 and not d.staged and jsonb_typeof(d.checklist) = 'array';

  create temp table etl_inspection on commit drop as
  select d.load_seq, e.pos,
         case when jsonb_typeof(e.item) = 'object' then e.item ->> 'inspection_id' end as inspection_id,
         e.item ->> 'inspection_ts' as raw_inspection_ts,
         scpipe.parse_upstream_ts(e.item ->> 'inspection_ts', p_timezone) as inspection_ts,
         e.item ->> 'created_ts' as raw_created_ts,
         scpipe.parse_upstream_ts(e.item ->> 'created_ts', p_timezone) as created_ts
  from etl_doc d, jsonb_array_elements(d.inspection) with ordinality as e(item, pos)
  where parsed_here > 0 and not d.staged and jsonb_typeof(d.inspection) = 'array';

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
    where parsed_here > 0 and not d.staged  -- staged documents have nothing to reject
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
  get diagnostics winners = row_count;
  create index on etl_winner (user_id);
  analyze etl_winner;

  -- 5. Candidate versions: winners, plus current users whose e-mail got a new CRM row, with the
  --    CRM attributes of the row loaded last for their e-mail.
  create temp table etl_base on commit drop as
  select w.user_id, w.user_email, w.on_trial, w.signup_ts, w.active, w.load_seq
  from etl_winner w
  union all
  select u.user_id, u.user_email, u.on_trial, u.signup_ts, u.active, null
  from only sc.sc_user u
  where lower(u.user_email) in (select lower(c.customer_email) from staging.crm_customer c
                                where c.load_seq > crm_from and c.load_seq <= crm_to)
    and not exists (select 1 from etl_winner w where w.user_id = u.user_id);
  analyze etl_base;

  -- The CRM row loaded last per e-mail: for many candidates (a first load) by sorting all
  -- CRM rows once; for a few, by index, one probe each.
  if (select count(*) from etl_base) > 0.1 * greatest(crm_to, 1) then
    create temp table etl_crm on commit drop as
    select distinct on (lower(c.customer_email)) lower(c.customer_email) as email,
           c.industry, c.region, c.company_name
    from staging.crm_customer c
    where c.load_seq <= crm_to
    order by lower(c.customer_email), c.load_seq desc;
  else
    create temp table etl_crm on commit drop as
    select e.email, crm.industry, crm.region, crm.company_name
    from (select distinct lower(b.user_email) as email from etl_base b
          where b.user_email is not null) e
    cross join lateral (select c.industry, c.region, c.company_name
                        from staging.crm_customer c
                        where lower(c.customer_email) = e.email and c.load_seq <= crm_to
                        order by lower(c.customer_email), c.load_seq desc
                        limit 1) crm;
  end if;
  analyze etl_crm;

  create temp table etl_candidate on commit drop as
  select b.user_id, b.user_email::varchar(200) as user_email, b.on_trial,
         coalesce(nullif(crm.industry, ''), 'unknown')::varchar(200) as user_industry,
         coalesce(nullif(crm.region, ''), 'unknown')::varchar(200) as user_region,
         coalesce(nullif(crm.company_name, ''), 'unknown')::varchar(200) as user_company,
         b.signup_ts, b.active, b.load_seq,
         u.user_id is not null as is_current
  from etl_base b
  left join etl_crm crm on crm.email = lower(b.user_email)
  -- A join, not a correlated EXISTS: that runs a scan per candidate, which on a first load
  -- (an empty, never analyzed sc_user) is a sequential scan setup a million times.
  left join only sc.sc_user u on u.user_id = b.user_id;
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

  -- 8. Arrays of users whose winning document is new: made equal to that document's. Their
  --    new rows first, from both kinds of documents: those parsed here (the last of a repeated
  --    id wins) and the staged ones, whose repeated ids the loader already resolved. When every
  --    document of the run won (a first load: one document per user, none rejected), staged
  --    rows are read straight from etl_doc, without joining the winners (2-3 s at 1M users);
  --    all_won is known when each statement is planned.
  all_won := winners = docs;
  create temp table etl_new_checklist on commit drop as
  select distinct on (w.user_id, c.checklist_id) w.user_id, c.checklist_id, c.checklist_name,
         c.created_on_ts
  from etl_winner w join etl_checklist c on c.load_seq = w.load_seq
  order by w.user_id, c.checklist_id, c.pos desc;
  insert into etl_new_checklist
  select d.user_id, c.id, c.name, c.created_on::timestamptz
  from etl_doc d
  cross join lateral unnest(d.staged_checklist_id, d.staged_checklist_name,
                            d.staged_checklist_created_on) as c(id, name, created_on)
  where d.staged and (all_won or d.load_seq in (select w.load_seq from etl_winner w));

  create temp table etl_new_inspection on commit drop as
  select distinct on (w.user_id, i.inspection_id) w.user_id, i.inspection_id, i.inspection_ts,
         i.created_ts
  from etl_winner w join etl_inspection i on i.load_seq = w.load_seq
  order by w.user_id, i.inspection_id, i.pos desc;
  insert into etl_new_inspection
  select d.user_id, i.id, i.ts::timestamptz, i.created_ts::timestamptz
  from etl_doc d
  cross join lateral unnest(d.staged_inspection_id, d.staged_inspection_ts,
                            d.staged_inspection_created_ts) as i(id, ts, created_ts)
  where d.staged and (all_won or d.load_seq in (select w.load_seq from etl_winner w));

  --    Then only what differs is written: a winner's rows that its new document does not hold
  --    as they are go, and new rows not there yet come. A document that left its arrays as they
  --    were costs reads, not writes. On a first load (arrays_before false, known at planning)
  --    the new rows are inserted without looking.
  arrays_before := exists (select 1 from sc.sc_user_checklist)
                   or exists (select 1 from sc.sc_user_inspection);
  delete from sc.sc_user_checklist t using etl_winner w
  where arrays_before and t.user_id = w.user_id
    and not exists (select 1 from etl_new_checklist n
                    where n.user_id = t.user_id and n.checklist_id = t.checklist_id
                      and n.checklist_name is not distinct from t.checklist_name
                      and n.created_on_ts is not distinct from t.created_on_ts);
  insert into sc.sc_user_checklist (user_id, checklist_id, checklist_name, created_on_ts)
  select n.user_id, n.checklist_id, n.checklist_name, n.created_on_ts
  from etl_new_checklist n
  where not arrays_before
     or not exists (select 1 from sc.sc_user_checklist t
                    where t.user_id = n.user_id and t.checklist_id = n.checklist_id);

  delete from sc.sc_user_inspection t using etl_winner w
  where arrays_before and t.user_id = w.user_id
    and not exists (select 1 from etl_new_inspection n
                    where n.user_id = t.user_id and n.inspection_id = t.inspection_id
                      and n.inspection_ts is not distinct from t.inspection_ts
                      and n.created_ts is not distinct from t.created_ts);
  insert into sc.sc_user_inspection (user_id, inspection_id, inspection_ts, created_ts)
  select n.user_id, n.inspection_id, n.inspection_ts, n.created_ts
  from etl_new_inspection n
  where not arrays_before
     or not exists (select 1 from sc.sc_user_inspection t
                    where t.user_id = n.user_id and t.inspection_id = n.inspection_id);

  -- A run that wrote many rows (a first load) refreshes the statistics of what it wrote.
  if run.inserted + run.changed > greatest(10000, 0.1 * (select greatest(reltuples, 0) from pg_class
                                                         where oid = 'sc.sc_user'::regclass)) then
    perform scpipe.analyze_etl_table(t)
    from unnest(array['sc.sc_user', 'sc.sc_user_hist', 'sc.sc_user_checklist',
                      'sc.sc_user_inspection']::regclass[]) t;
  end if;

  update scpipe.etl_run r
  set finished_at = clock_timestamp(), inserted = run.inserted, changed = run.changed,
      unchanged = run.unchanged, rejected = run.rejected
  where r.run_id = run.run_id
  returning * into run;
  return run;
end
$$;
