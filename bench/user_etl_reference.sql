-- The straightforward user-dimension recompute that bench/user_etl measures scpipe against
-- (issue 14): what a data engineer writes by hand in an afternoon. Plain SQL over every staging
-- row, temp tables analysed, no flattening of checklists or inspections, no rejected documents,
-- no watermarks. Run with psql -v ON_ERROR_STOP=1 on a database that `scpipe migrate` made.
--
--   latest document per user id (load order) ─┐
--   latest CRM row per lower(e-mail) ──────────┴─ left join ─▶ vs current users:
--                                                 changed → history + update, new → insert
begin;

create temp table ref_doc on commit drop as
select distinct on (user_id) *
from (select (d.user_document ->> 'user_id')::int as user_id,
             d.user_document ->> 'user_email' as user_email,
             (d.user_document ->> 'on_trial')::boolean as on_trial,
             (d.user_document ->> 'signup_ts')::timestamp at time zone 'UTC' as signup_ts,
             (d.user_document ->> 'active')::boolean as active,
             d.load_seq
      from staging.sc_user_document d) x
order by user_id, load_seq desc;
analyze ref_doc;

create temp table ref_crm on commit drop as
select distinct on (lower(customer_email)) lower(customer_email) as email, industry, region, company_name
from staging.crm_customer
order by lower(customer_email), load_seq desc;
analyze ref_crm;

create temp table ref_user on commit drop as
select d.user_id, d.user_email::varchar(200) as user_email, d.on_trial,
       coalesce(nullif(c.industry, ''), 'unknown')::varchar(200) as user_industry,
       coalesce(nullif(c.region, ''), 'unknown')::varchar(200) as user_region,
       coalesce(nullif(c.company_name, ''), 'unknown')::varchar(200) as user_company,
       d.signup_ts, d.active,
       exists (select 1 from only sc.sc_user u where u.user_id = d.user_id) as is_current
from ref_doc d left join ref_crm c on c.email = lower(d.user_email);
analyze ref_user;

create temp table ref_changed on commit drop as
select r.*
from ref_user r join only sc.sc_user u using (user_id)
where (u.user_email, u.on_trial, u.user_industry, u.user_region, u.user_company, u.signup_ts, u.active)
      is distinct from
      (r.user_email, r.on_trial, r.user_industry, r.user_region, r.user_company, r.signup_ts, r.active);
analyze ref_changed;

insert into sc.sc_user_hist (user_id, user_email, on_trial, user_industry, user_region, user_company,
                             signup_ts, active, effective_from_ts, effective_to_ts, created_on_ts)
select u.user_id, u.user_email, u.on_trial, u.user_industry, u.user_region, u.user_company,
       u.signup_ts, u.active, u.effective_from_ts, now(), u.created_on_ts
from only sc.sc_user u join ref_changed c using (user_id);

update only sc.sc_user u
set user_email = c.user_email, on_trial = c.on_trial, user_industry = c.user_industry,
    user_region = c.user_region, user_company = c.user_company, signup_ts = c.signup_ts,
    active = c.active, effective_from_ts = now(), created_on_ts = now()
from ref_changed c
where u.user_id = c.user_id;

insert into sc.sc_user (user_id, user_email, on_trial, user_industry, user_region, user_company,
                        signup_ts, active)
select r.user_id, r.user_email, r.on_trial, r.user_industry, r.user_region, r.user_company,
       r.signup_ts, r.active
from ref_user r
where not r.is_current;

commit;
