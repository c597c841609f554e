-- The audit log's keyed chain (docs/audit.md). Every event names the scheme of its hash: the
-- events written so far are 'sha256-v1' (plain SHA-256, verifiable by anyone); every new one is
-- 'hmac-sha256-v2' (HMAC-SHA256 keyed with AUDIT_KEY, which the database never holds). No default
-- from now on: a writer must say which scheme it used.
ALTER TABLE audit_events ADD COLUMN alg text NOT NULL DEFAULT 'sha256-v1';
ALTER TABLE audit_events ALTER COLUMN alg DROP DEFAULT;

-- Signed checkpoints of the chain's head, kept here for convenience: the copies that count are
-- the files the coordinator keeps outside the database (`dline audit checkpoint`).
CREATE TABLE audit_checkpoints (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  last_id   bigint NOT NULL,
  last_hash text NOT NULL,
  count     bigint NOT NULL,
  legacy    bigint NOT NULL,
  at        timestamptz NOT NULL,
  signature text NOT NULL
);

-- Row-level security as on every table (0025): the portal appends checkpoints on its own path
-- and shows them to coordinators; it never changes one.
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_service ON audit_checkpoints TO deliveryline_portal
  USING ((SELECT app_scope_role()) IS NULL) WITH CHECK ((SELECT app_scope_role()) IS NULL);
CREATE POLICY portal_scoped ON audit_checkpoints FOR SELECT TO deliveryline_portal USING ((SELECT app_scope_role()) = 'coordinator');
REVOKE UPDATE, DELETE ON audit_checkpoints FROM deliveryline_portal;
