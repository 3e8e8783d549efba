-- 0001: the warehouse's five contract tables (../shared/design/schema.md).
-- Names, column order, types and defaults are a public contract: later migrations may add
-- tables, columns, indexes, views and functions, never rename, drop or retype these.

create schema if not exists staging;
create schema if not exists sc;

-- Raw user documents exactly as upstream sent them (json keeps the text as it came).
create table staging.sc_user_document (
    user_document json,
    created_on_ts timestamptz default now()
);

-- CRM export rows; the CSV header's user_email lands in customer_email.
create table staging.crm_customer (
    customer_email varchar(200),
    industry       varchar(200),
    region         varchar(200),
    company_name   varchar(200),
    created_on_ts  timestamptz default now()
);

-- The current version of each user (select ... from only sc.sc_user).
-- Defaults are written with an explicit zone so they do not depend on the session's TimeZone
-- when the migration runs.
create table sc.sc_user (
    user_id           int primary key,
    user_email        varchar(200),
    on_trial          boolean,
    user_industry     varchar(200),
    user_region       varchar(200),
    user_company      varchar(200),
    signup_ts         timestamptz,
    active            boolean,
    effective_from_ts timestamptz default '1970-01-01 00:00:00+00',
    effective_to_ts   timestamptz default '2199-12-31 00:00:00+00',
    created_on_ts     timestamptz default now()
);

-- Earlier versions of users; inherits sc.sc_user so that sc.sc_user without "only" is every
-- version, and an event joins the version in force at its time:
--   e.event_ts >= u.effective_from_ts and e.event_ts < u.effective_to_ts
create table sc.sc_user_hist (
    primary key (user_id, effective_from_ts)
) inherits (sc.sc_user);

-- User events, written by the service's DB writers.
create table sc.sc_user_event (
    user_event_id bigserial primary key,
    user_id       int,
    platform      varchar(200),
    event_ts      timestamptz,
    event_type    varchar(50),
    first_event   boolean,
    created_on_ts timestamptz default now()
);
