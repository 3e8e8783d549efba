-- 0006: the ledger tells a resend from a reused id (protocol.md, "A reused message id").
-- Each message id keeps the digest of the payload it was first committed with. The same id with
-- the same digest is a resend (answered duplicate); with another digest it is another message
-- under a used id, refused (rejected, reason id_reused) with nothing written. Rows committed
-- before this migration, and payloads dropped as too large, have no digest: a resend of their id
-- is answered duplicate, as before.
alter table scpipe.event_ledger add column payload_digest bigint;
comment on column scpipe.event_ledger.payload_digest is
  'Digest of the payload first committed under the id (core/payload_digest.hpp); null: unknown';
