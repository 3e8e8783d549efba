-- 0013: a first load fills an empty dimension straight from the staged fields, its indexes
-- built after; an incremental run looks up CRM rows only for e-mails that need it (issue 14).
--
--   scpipe.run_user_etl ─┬─ first load: sc.sc_user and both array tables empty, every new
--                        │   document staged by load-users (so none can be rejected, and no
--                        │   user has anything to compare with) ─▶ etl_fill_empty_dimension:
--                        │   the winners inserted from staging in three statements, the
--                        │   tables' indexes dropped before and built after
--                        └─ otherwise: the steps of 0011, the CRM step cheaper (step 5)
--
-- Measured at 1M users (bench/user_etl): the general path spent 27 s of a first load on
-- temp tables of everything (documents, winners, candidates, array rows) and on index upkeep
-- row by row.

-- Documents the loader did not stage (plain SQL inserts, doubtful documents): few, found by
-- this index instead of reading the staging table, to choose the first-load path.
create index sc_user_document_unstaged on staging.sc_user_document (load_seq)
  where staged_user_id is null;

-- The ETL's plans need staging's row counts, not its value distributions (its statements read
-- ranges of load_seq, which the planner bounds by the index): a sample of 3,000 rows (statistics
-- target 10) instead of 30,000 does. Analyzing 1M freshly loaded documents took 0.56-0.67 s,
-- reading a tenth of the table's pages at random; now 0.06 s. Every column: the largest target
-- sets the sample.
do $$
declare
  col name;
begin
  for col in select a.attname from pg_attribute a
             where a.attrelid = 'staging.sc_user_document'::regclass and a.attnum > 0
               and not a.attisdropped
  loop
    execute format('alter table staging.sc_user_document alter column %I set statistics 10', col);
  end loop;
end
$$;

-- The CRM attribute rule, one place: no row or an empty value gives 'unknown'; values keep at
-- most 200 characters, as the dimension's columns.
create function scpipe.crm_attribute(p_value text)
returns varchar(200)
language sql
immutable
parallel safe
as $$ select coalesce(nullif(p_value, ''), 'unknown')::varchar(200) $$;

-- The CRM row loaded last per e-mail (lower-cased), among those up to p_crm_to: one sort of them
-- all, for a run with many users.
create function scpipe.latest_crm_rows(p_crm_to bigint)
returns table (email text, industry text, region text, company_name text)
language sql
stable
as $$
  select distinct on (lower(c.customer_email)) lower(c.customer_email), c.industry, c.region,
         c.company_name
  from staging.crm_customer c
  where c.load_seq <= p_crm_to
  order by lower(c.customer_email), c.load_seq desc
$$;

-- A first load: the dimension and both array tables are empty and every document of the run
-- was staged by load-users, so none is rejected and no user has a current row to compare with.
-- Each user's last-loaded document wins, as in the general path; the winners and their arrays
-- go straight into the tables, whose indexes are dropped first and built after (1M rows into
-- sc.sc_user take 7.5 s with its five indexes; 4 s without them, and about 2 s to build them).
-- Called by scpipe.run_user_etl inside its run (its locks, settings and TimeZone apply);
-- returns the users inserted.
--
-- It runs as the tables' owner (dropping and building indexes is the owner's) and does the
-- whole job, so an index is never left dropped. It refuses unless all three tables are empty
-- (checked under its lock), and keeps any index something else depends on (a foreign key, a
-- view grouping by the primary key) or that is a replica identity or clustering index. Its
-- ACCESS EXCLUSIVE locks on the three tables (not sc.sc_user_hist) last to the end of the run:
-- readers of the dimension wait for a first load to commit.
create function scpipe.etl_fill_empty_dimension(p_doc_from bigint, p_doc_to bigint, p_crm_to bigint)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
-- The index builds sort in memory (and may use parallel workers).
set maintenance_work_mem = '256MB'
as $$
declare
  inserted bigint;
  all_won boolean;
  ix record;
  to_build text[] := '{}';
  ddl text;
begin
  -- The first week's lock before the tables' locks, the order scpipe.count_first_week_logins
  -- takes them in: the insert's trigger takes it (sql/0012), and a count holding it while it
  -- waits for sc.sc_user would deadlock with this run.
  perform pg_advisory_xact_lock(1990722301361777040);  -- 'scpipe first week'
  lock table only sc.sc_user, only sc.sc_user_checklist, only sc.sc_user_inspection
    in access exclusive mode;
  if exists (select 1 from only sc.sc_user) or exists (select 1 from sc.sc_user_checklist)
     or exists (select 1 from sc.sc_user_inspection) then
    raise exception 'scpipe.etl_fill_empty_dimension: the user dimension is not empty';
  end if;
  for ix in
    select case when c.oid is not null
                then format('alter table only %s drop constraint %I', i.indrelid::regclass, c.conname)
                else format('drop index %s', i.indexrelid::regclass) end as drop_ddl,
           case when c.oid is not null
                then format('alter table only %s add constraint %I %s', i.indrelid::regclass,
                            c.conname, pg_get_constraintdef(c.oid))
                else pg_get_indexdef(i.indexrelid)
                     || coalesce(' tablespace ' || quote_ident(ts.spcname), '') end as create_ddl
    from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    left join pg_tablespace ts on ts.oid = ic.reltablespace
    left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid
                             and c.contype in ('p', 'u', 'x')
    where i.indrelid in ('sc.sc_user'::regclass, 'sc.sc_user_checklist'::regclass,
                         'sc.sc_user_inspection'::regclass)
      and i.indisvalid and not i.indisreplident and not i.indisclustered
      and not exists (select 1 from pg_depend d
                      where ((d.refclassid = 'pg_class'::regclass and d.refobjid = i.indexrelid)
                             or (d.refclassid = 'pg_constraint'::regclass and d.refobjid = c.oid))
                        and not (d.classid = 'pg_class'::regclass and d.objid = i.indexrelid)
                        and not (d.classid = 'pg_constraint'::regclass and d.objid = c.oid))
  loop
    execute ix.drop_ddl;
    to_build := to_build || ix.create_ddl;
  end loop;

  -- Each user's last-loaded document (all are staged: none is rejected) with the CRM attributes
  -- of its e-mail's last-loaded row.
  insert into sc.sc_user (user_id, user_email, on_trial, user_industry, user_region, user_company,
                          signup_ts, active, effective_from_ts, effective_to_ts)
  select w.user_id, w.user_email, w.on_trial, scpipe.crm_attribute(crm.industry),
         scpipe.crm_attribute(crm.region), scpipe.crm_attribute(crm.company_name), w.signup_ts,
         w.active, '1970-01-01 00:00:00+00', '2199-12-31 00:00:00+00'
  from (select distinct on (d.staged_user_id) d.staged_user_id as user_id,
               d.staged_user_email as user_email, d.staged_on_trial as on_trial,
               d.staged_signup_ts::timestamptz as signup_ts, d.staged_active as active
        from staging.sc_user_document d
        where d.load_seq > p_doc_from and d.load_seq <= p_doc_to
        order by d.staged_user_id, d.load_seq desc) w
  left join scpipe.latest_crm_rows(p_crm_to) crm on crm.email = lower(w.user_email);
  get diagnostics inserted = row_count;

  -- The winners' staged arrays (the loader already kept the last of a repeated id). As many
  -- users as load_seq values in the range means every document of the run won: no gap (a load
  -- rolled back), no user twice. Then no document needs to be matched with the winners.
  all_won := inserted = p_doc_to - p_doc_from;
  create temp table etl_winner (load_seq bigint) on commit drop;
  if not all_won then
    insert into pg_temp.etl_winner
    select distinct on (d.staged_user_id) d.load_seq
    from staging.sc_user_document d
    where d.load_seq > p_doc_from and d.load_seq <= p_doc_to
    order by d.staged_user_id, d.load_seq desc;
    analyze pg_temp.etl_winner;
  end if;
  --   The parallel arrays are unnested side by side in the select list (set-returning
  --   functions there run in step, as unnest(a, b, c) does): 2.3 s for 2M rows here, against
  --   3.1 s through a lateral unnest.
  insert into sc.sc_user_checklist (user_id, checklist_id, checklist_name, created_on_ts)
  select d.staged_user_id, unnest(d.staged_checklist_id), unnest(d.staged_checklist_name),
         unnest(d.staged_checklist_created_on)::timestamptz
  from staging.sc_user_document d
  where d.load_seq > p_doc_from and d.load_seq <= p_doc_to
    and (all_won or d.load_seq in (select w.load_seq from pg_temp.etl_winner w));
  insert into sc.sc_user_inspection (user_id, inspection_id, inspection_ts, created_ts)
  select d.staged_user_id, unnest(d.staged_inspection_id),
         unnest(d.staged_inspection_ts)::timestamptz,
         unnest(d.staged_inspection_created_ts)::timestamptz
  from staging.sc_user_document d
  where d.load_seq > p_doc_from and d.load_seq <= p_doc_to
    and (all_won or d.load_seq in (select w.load_seq from pg_temp.etl_winner w));

  foreach ddl in array to_build loop
    execute ddl;
  end loop;
  drop table pg_temp.etl_winner;  -- this role's: the caller could not drop it
  return inserted;
end
$$;

-- The ETL of 0011 with these changes: a first load goes through etl_fill_empty_dimension; the
-- winners skip the rejected documents' anti-join when nothing was rejected; the candidates
-- carry their current row's e-mail and attributes, and CRM rows are looked up only for the
-- e-mails that need it (step 5).
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
  first_load boolean;  -- an empty dimension and only staged documents: etl_fill_empty_dimension
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
  -- (A run with no new document is no first load: it must not lock the dimension for nothing,
  -- as the scheduler's ticks on an empty dimension would.)
  first_load := doc_to > doc_from
                and not exists (select 1 from only sc.sc_user)
                and not exists (select 1 from sc.sc_user_checklist)
                and not exists (select 1 from sc.sc_user_inspection)
                and not exists (select 1 from staging.sc_user_document d
                                where d.staged_user_id is null
                                  and d.load_seq > doc_from and d.load_seq <= doc_to);
  -- A large arrival makes the planner's statistics stale (a first load: empty); refresh them
  -- so the big statements get hash-based plans sized for what they read (a first load of 1M
  -- users planned without them took 20 s instead of 16.6 s with the analyze). Small
  -- increments skip this.
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

  if first_load then
    run.inserted := scpipe.etl_fill_empty_dimension(doc_from, doc_to, crm_to);
    run.changed := 0;
    run.unchanged := 0;
    run.rejected := 0;
  else

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
    where run.rejected = 0  -- known when planned: no anti-join of every document for nothing
       or not exists (select 1 from scpipe.rejected_user_document r
                      where r.load_seq = d.load_seq and r.run_id = run.run_id)
    order by d.user_id, d.load_seq desc;
    get diagnostics winners = row_count;
    create index on etl_winner (user_id);
    analyze etl_winner;

    -- 5. Candidate versions: winners, plus current users whose e-mail got a new CRM row, with the
    --    CRM attributes of the row loaded last for their e-mail. Each comes with its current row's
    --    e-mail and attributes, when it has one (a join, not a correlated EXISTS: that runs a scan
    --    per candidate, on an empty, never analyzed sc_user a sequential scan setup each).
    create temp table etl_base on commit drop as
    select w.user_id, w.user_email, w.on_trial, w.signup_ts, w.active, w.load_seq,
           u.user_id is not null as is_current, u.user_email as current_email,
           u.user_industry as current_industry, u.user_region as current_region,
           u.user_company as current_company
    from etl_winner w
    left join only sc.sc_user u on u.user_id = w.user_id
    union all
    select u.user_id, u.user_email, u.on_trial, u.signup_ts, u.active, null,
           true, u.user_email, u.user_industry, u.user_region, u.user_company
    from only sc.sc_user u
    where lower(u.user_email) in (select lower(c.customer_email) from staging.crm_customer c
                                  where c.load_seq > crm_from and c.load_seq <= crm_to)
      and not exists (select 1 from etl_winner w where w.user_id = u.user_id);
    analyze etl_base;

    -- The CRM row loaded last per e-mail. For many candidates (a first load) by sorting all CRM
    -- rows once. For a few: the latest of this run's new CRM rows where the e-mail has some;
    -- else, for a user keeping its e-mail, the attributes its current row holds (they came from
    -- the same row: any newer one for that e-mail would be new in this run, or would have made
    -- the user a candidate of an earlier run); else by index, one probe each.
    if (select count(*) from etl_base) > 0.1 * greatest(crm_to, 1) then
      create temp table etl_crm on commit drop as select * from scpipe.latest_crm_rows(crm_to);
    else
      create temp table etl_crm on commit drop as
      select distinct on (lower(c.customer_email)) lower(c.customer_email) as email,
             c.industry, c.region, c.company_name
      from staging.crm_customer c
      where c.load_seq > crm_from and c.load_seq <= crm_to
        and lower(c.customer_email) in (select lower(b.user_email) from etl_base b)
      order by lower(c.customer_email), c.load_seq desc;
      insert into etl_crm
      select distinct on (lower(b.user_email)) lower(b.user_email), b.current_industry,
             b.current_region, b.current_company
      from etl_base b
      where lower(b.user_email) = lower(b.current_email)
        and not exists (select 1 from etl_crm n where n.email = lower(b.user_email));
      insert into etl_crm
      select e.email, crm.industry, crm.region, crm.company_name
      from (select distinct lower(b.user_email) as email from etl_base b
            where b.user_email is not null
              and not exists (select 1 from etl_crm n where n.email = lower(b.user_email))) e
      cross join lateral (select c.industry, c.region, c.company_name
                          from staging.crm_customer c
                          where lower(c.customer_email) = e.email and c.load_seq <= crm_to
                          order by lower(c.customer_email), c.load_seq desc
                          limit 1) crm;
    end if;
    analyze etl_crm;

    create temp table etl_candidate on commit drop as
    select b.user_id, b.user_email::varchar(200) as user_email, b.on_trial,
           scpipe.crm_attribute(crm.industry) as user_industry,
           scpipe.crm_attribute(crm.region) as user_region,
           scpipe.crm_attribute(crm.company_name) as user_company,
           b.signup_ts, b.active, b.load_seq, b.is_current
    from etl_base b
    left join etl_crm crm on crm.email = lower(b.user_email);
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
  end if;

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
