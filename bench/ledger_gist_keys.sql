-- What the session ledger's guard against overlapping runs costs per batch: the exclusion
-- constraint of sql/0007 with the producer as text, the same keyed by a bigint (issue 13,
-- docs/scaling.md "Full speed, one event per message"), and what sql/0015 put in its place, a
-- unique B-tree on (producer, last_seq) with a transaction lock per producer:
-- psql -X -q -f bench/ledger_gist_keys.sql on any scratch database of a server that has
-- btree_gist (PostgreSQL's contrib). Creates and leaves three tables, lt, li and lb.
--
-- Each table: 200k rows already in it (16 producers, runs of 40 in turn), then 2,000 inserts of
-- 9 runs each, as the writers insert them at full speed with 1-event messages from 16 producers
-- (1,609 batches of 8.7 runs on average, measured). Prints ms per insert of 9 runs for each
-- (lb's with its locks). Run it twice and compare within a run: the machine is noisy.
create extension if not exists btree_gist;
drop table if exists lt, li, lb;
create table lt (producer text, first_seq bigint, last_seq bigint,
                 exclude using gist (producer with =, int8range(first_seq, last_seq, '[]') with &&));
create table li (producer bigint, first_seq bigint, last_seq bigint,
                 exclude using gist (producer with =, int8range(first_seq, last_seq, '[]') with &&));
create table lb (producer text, first_seq bigint, last_seq bigint, unique (producer, last_seq));
insert into lt select 'producer-' || md5(p::text), r * 40, r * 40 + 39
  from generate_series(1, 16) p, generate_series(0, 12499) r order by r, p;
insert into li select p, r * 40, r * 40 + 39
  from generate_series(1, 16) p, generate_series(0, 12499) r order by r, p;
insert into lb select 'producer-' || md5(p::text), r * 40, r * 40 + 39
  from generate_series(1, 16) p, generate_series(0, 12499) r order by r, p;
vacuum analyze lt;
vacuum analyze li;
vacuum analyze lb;
do $$
declare
  t0 timestamptz := clock_timestamp();
begin
  for b in 0..1999 loop
    insert into lt select 'producer-' || md5((1 + (b + k) % 16)::text), 500000 + b * 40,
                          500000 + b * 40 + 39
                   from generate_series(0, 8) k;
  end loop;
  raise notice 'producer as text:   % ms per insert of 9 runs',
    round(extract(epoch from clock_timestamp() - t0) * 1000 / 2000, 3);
end
$$;
do $$
declare
  t0 timestamptz := clock_timestamp();
begin
  for b in 0..1999 loop
    insert into li select 1 + (b + k) % 16, 500000 + b * 40, 500000 + b * 40 + 39
                   from generate_series(0, 8) k;
  end loop;
  raise notice 'producer as bigint: % ms per insert of 9 runs',
    round(extract(epoch from clock_timestamp() - t0) * 1000 / 2000, 3);
end
$$;
do $$
declare
  t0 timestamptz := clock_timestamp();
begin
  for b in 0..1999 loop
    perform pg_advisory_xact_lock(hashtext('scpipe.session_ledger'), k)
    from (select distinct hashtext('producer-' || md5((1 + (b + j) % 16)::text)) as k
          from generate_series(0, 8) j order by k) as keys;
    insert into lb select 'producer-' || md5((1 + (b + k) % 16)::text), 500000 + b * 40,
                          500000 + b * 40 + 39
                   from generate_series(0, 8) k;
  end loop;
  raise notice 'B-tree and locks:   % ms per insert of 9 runs',
    round(extract(epoch from clock_timestamp() - t0) * 1000 / 2000, 3);
end
$$;
select pg_size_pretty(pg_relation_size('lt_producer_int8range_excl')) as text_index,
       pg_size_pretty(pg_relation_size('li_producer_int8range_excl')) as bigint_index,
       pg_size_pretty(pg_relation_size('lb_producer_last_seq_key')) as btree_index;
