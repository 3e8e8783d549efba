-- roles.sql: least-privilege group roles, opt-in (database.create_roles = true).
--
-- Not a numbered migration. `scpipe migrate` applies it after the migrations, on EVERY run
-- while database.create_roles is on: in one transaction, under the migrate lock, unrecorded.
-- Why not an optional migration in the numbered list:
--  * the roles are optional, the schema is not: a numbered migration skipped while the option is
--    off would have to run out of order when it is turned on, and every later migration that
--    adds a table would have to grant to roles that may not exist;
--  * this script states the COMPLETE privileges of the three roles on scpipe's schemas (it
--    revokes theirs, then grants): re-running it changes nothing, a grant added here reaches
--    every database at its next migrate, and a grant taken out of this file is taken away.
-- It is idempotent: roles are created only when missing (they are cluster-wide: another
-- database of the cluster may have created them), REVOKE and GRANT can be repeated.
--
-- A LATER MIGRATION THAT ADDS A TABLE, VIEW, SEQUENCE OR FUNCTION adds its grants here, in the
-- same change. Analysts read every table and view of schema sc without that (the grant on all
-- tables below, and default privileges for objects created between migrate runs); the writer
-- and the ETL get only what is listed.
--
-- The roles (NOLOGIN groups; an administrator grants them to login roles, docs/operations.md):
--   scpipe_writer   the event path of `scpipe run` (db_writer: the message-id ledger, COPY of
--                   events and dead letters, ledger counts, ledger pruning) and
--                   `scpipe replay-rejected`
--   scpipe_etl      `scpipe load-users`, `load-crm`, `etl`, and the etl_scheduler of `scpipe run`
--   scpipe_analyst  read-only: the warehouse tables and views of schema sc (`scpipe report`)
-- `scpipe run` therefore connects as a login that is a member of scpipe_writer and scpipe_etl.
-- Only the owner of scpipe's objects (who runs `scpipe migrate`) may change the schema.

-- -- the roles ----------------------------------------------------------------------------------
do $$
declare
  r text;
begin
  foreach r in array array['scpipe_writer', 'scpipe_etl', 'scpipe_analyst'] loop
    if not exists (select from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin', r);
      exception when duplicate_object or unique_violation then
        null;  -- created this very moment by a migrate of another database of the cluster
      end;
    end if;
  end loop;
end
$$;

-- -- start from nothing: afterwards the roles hold exactly what this file grants ---------------
revoke all on schema staging, sc, scpipe from scpipe_writer, scpipe_etl, scpipe_analyst;
revoke all on all tables in schema staging, sc, scpipe
  from scpipe_writer, scpipe_etl, scpipe_analyst;  -- with their column privileges
revoke all on all sequences in schema staging, sc, scpipe
  from scpipe_writer, scpipe_etl, scpipe_analyst;
revoke all on all functions in schema staging, sc, scpipe
  from scpipe_writer, scpipe_etl, scpipe_analyst;

-- Nobody but the owner creates objects in scpipe's schemas, nor in public (PostgreSQL 15 no
-- longer grants CREATE on public to PUBLIC; a database created by an older version still may).
revoke create on schema staging, sc, scpipe from public;
do $$
begin
  if exists (select from pg_namespace where nspname = 'public') then
    revoke create on schema public from public;
  end if;
end
$$;
-- The ETL's functions are for the ETL (functions are executable by PUBLIC by default). They
-- run with their caller's rights, so this is tidiness rather than protection.
revoke execute on all functions in schema scpipe from public;

-- Every role may connect even where CONNECT was revoked from PUBLIC; the ETL's run builds
-- temporary tables (the others keep whatever PUBLIC has: TEMPORARY by default).
do $$
begin
  execute format('grant connect on database %I to scpipe_writer, scpipe_etl, scpipe_analyst',
                 current_database());
  execute format('grant temporary on database %I to scpipe_etl', current_database());
end
$$;

-- -- scpipe_writer: the event path (src/db/event_writer.cpp, src/db/replay.cpp) ----------------
grant usage on schema sc, scpipe to scpipe_writer;
-- COPY of accepted events (no SELECT, UPDATE or DELETE: events are append-only for it);
-- user_event_id is a bigserial, its default calls nextval.
grant insert on sc.sc_user_event to scpipe_writer;
grant usage on sequence sc.sc_user_event_user_event_id_seq to scpipe_writer;
-- The ledger: INSERT ... ON CONFLICT DO NOTHING RETURNING and the lookup of resent ids
-- (SELECT), counts corrected for rows the database refused (UPDATE of the counts); its
-- partitions are dropped after broker.dedup_retention_days (below), so no DELETE.
grant select, insert on scpipe.event_ledger to scpipe_writer;
grant update (accepted, rejected) on scpipe.event_ledger to scpipe_writer;
-- ... filed under the generation scpipe.ledger_day() reads (sql/0010); its partitions are made
-- and dropped by the service through functions that run as the schema's owner.
grant select on scpipe.ledger_epoch to scpipe_writer;
grant execute on function scpipe.ledger_day(), scpipe.roll_ledger_day(int),
                          scpipe.drop_ledger_partitions(int) to scpipe_writer;
-- The session ledger (sql/0007), the same way for messages sent with a producer session; a
-- batch locks its producers and enters its runs with their final counts (sql/0015: no UPDATE).
grant select, insert, delete on scpipe.session_ledger to scpipe_writer;
grant execute on function scpipe.lock_session_producers(text[]) to scpipe_writer;
-- Dead letters: COPY (an identity column: no sequence privilege needed); replay-rejected reads
-- and locks them (SELECT ... FOR UPDATE) and marks them, never rewrites their content.
grant select, insert on scpipe.rejected_event to scpipe_writer;
grant update (replayed_at, replay_note) on scpipe.rejected_event to scpipe_writer;
-- Readiness: the service checks that the database has every migration it needs.
grant select on scpipe.schema_migrations to scpipe_writer;
-- The event partitions (sql/0009): made ahead and dropped past events.retention by the
-- service, through functions that run as the schema's owner.
grant select on scpipe.event_partition to scpipe_writer;
grant execute on function scpipe.make_event_partitions(text, int),
                          scpipe.drop_event_partitions(interval) to scpipe_writer;
-- The first-week counts (sql/0012): the service moves their watermark; the function runs as
-- the schema's owner. (Inserting events takes the watermark's lock through a trigger.)
grant execute on function scpipe.count_first_week_logins() to scpipe_writer;

-- -- scpipe_etl: loading staging and the SCD type-2 merge (sql/0003_user_etl.sql) --------------
grant usage on schema staging, sc, scpipe to scpipe_etl;
-- COPY by load-users / load-crm (load_seq is an identity column) and the ETL's reads. UPDATE
-- only because run_user_etl takes LOCK TABLE ... IN SHARE MODE, which PostgreSQL allows only
-- to holders of UPDATE, DELETE or TRUNCATE; no scpipe code updates staging rows.
grant select, insert, update on staging.sc_user_document, staging.crm_customer to scpipe_etl;
-- Current versions are inserted and updated in place, earlier ones only appended; nothing of
-- the dimension is deleted.
grant select, insert, update on sc.sc_user to scpipe_etl;
grant insert on sc.sc_user_hist to scpipe_etl;
-- A user's arrays are replaced wholesale when its document changes.
grant select, insert, delete on sc.sc_user_checklist, sc.sc_user_inspection to scpipe_etl;
grant select, insert, update on scpipe.etl_run, scpipe.rejected_user_document to scpipe_etl;
grant usage on sequence scpipe.etl_run_run_id_seq to scpipe_etl;
grant execute on function
    scpipe.run_user_etl(text, boolean),
    scpipe.try_lock_user_etl(),
    scpipe.upstream_int(jsonb),
    scpipe.upstream_bool(jsonb),
    scpipe.days_in_month(int, int),
    scpipe.parse_upstream_ts(text, text),
    scpipe.try_jsonb(json),
    scpipe.analyze_etl_table(regclass),
    scpipe.crm_attribute(text),
    scpipe.latest_crm_rows(bigint),
    scpipe.etl_fill_empty_dimension(bigint, bigint, bigint)
  to scpipe_etl;
-- ANALYZE is the owner's (PostgreSQL 15 has no privilege for it): run_user_etl analyzes its
-- tables after a large load through scpipe.analyze_etl_table (sql/0011), which runs as the
-- owner and takes only those tables. A first load fills the empty dimension through
-- scpipe.etl_fill_empty_dimension (sql/0013), which runs as the owner too: it drops the three
-- tables' indexes and builds them again in the same call.

-- -- scpipe_analyst: read-only warehouse -------------------------------------------------------
grant usage on schema sc to scpipe_analyst;
-- Every table and view of sc: the contract tables, the flattened arrays, first_week_logins.
grant select on all tables in schema sc to scpipe_analyst;
-- sc.first_week_logins adds the events its kept counts do not hold yet through this function
-- (it runs as the schema's owner; a function a view calls is checked against its reader).
grant execute on function scpipe.first_week_uncounted() to scpipe_analyst;
-- ... and those the migrating role creates in sc before the next migrate run.
alter default privileges in schema sc grant select on tables to scpipe_analyst;
