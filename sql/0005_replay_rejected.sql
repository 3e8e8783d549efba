-- 0005: replaying dead letters once their cause is fixed (scpipe replay-rejected).
-- A replayed row keeps its place (and its raw text) for the record: replayed_at says when its
-- events went to sc.sc_user_event, replay_note what happened at the last try.
alter table scpipe.rejected_event
    add column replayed_at timestamptz,
    add column replay_note text;
create index rejected_event_not_replayed on scpipe.rejected_event (rejected_event_id)
    where replayed_at is null;
