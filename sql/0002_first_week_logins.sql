-- 0002: the analysts' first question, "do users who bought a licence log in more in their
-- first week?" (schema.md).
--
-- Contract: one row per current user (only sc.sc_user) with its active flag and the number of
-- its 'login' events with signup_ts <= event_ts <= signup_ts + 7 days (both ends inclusive).
-- Users without such a login count 0; a user without signup_ts counts 0. The query reads only
-- the contract tables, so it runs unchanged against the seed's schema too:
--
--   select u.user_id, u.active, count(e.user_event_id) as first_week_logins
--   from only sc.sc_user u
--   left join sc.sc_user_event e
--          on e.user_id = u.user_id
--         and e.event_type = 'login'
--         and e.event_ts between u.signup_ts and u.signup_ts + interval '7 days'
--   group by u.user_id, u.active;

create view sc.first_week_logins as
select u.user_id,
       u.active,
       count(e.user_event_id) as first_week_logins
from only sc.sc_user u
left join sc.sc_user_event e
       on e.user_id = u.user_id
      and e.event_type = 'login'
      and e.event_ts between u.signup_ts and u.signup_ts + interval '7 days'
group by u.user_id, u.active;

comment on view sc.first_week_logins is
  'Per current user: active flag and count of login events in [signup_ts, signup_ts + 7 days].';
