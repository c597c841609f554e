-- Delivery: batch contents fixed at release (opaque entry ids, relapse marks), reminders,
-- webhooks, the final state of a notification, and release tests. See docs/delivery.md.

-- One row per entry of a batch, written once when the list is released. `ref` is the id a
-- member sees (e + 24 hex digits, random): stable, and unlike entries.id it says nothing about
-- how many entries other members or other lists hold. `relapse_of` is the earlier entry of the
-- same address that this member had already reported `notified`.
-- No foreign keys on purpose (see 0001): a 100,000-entry batch is one INSERT … SELECT.
CREATE TABLE batch_entries (
  batch_id   bigint NOT NULL,
  seq        int NOT NULL,
  list_id    bigint NOT NULL,
  entry_id   bigint NOT NULL,
  ref        text NOT NULL CHECK (ref ~ '^e[0-9a-f]{24}$'),
  relapse_of bigint,
  PRIMARY KEY (batch_id, seq)
);
CREATE UNIQUE INDEX batch_entries_ref_idx ON batch_entries (ref);
CREATE INDEX batch_entries_entry_idx ON batch_entries (entry_id);

-- Batches released before this migration get their rows now.
INSERT INTO batch_entries (batch_id, seq, list_id, entry_id, ref)
SELECT b.id, r.seq, r.list_id, e.id, 'e' || encode(substring(uuid_send(gen_random_uuid()) from 1 for 12), 'hex')
  FROM batches b
  JOIN routes r ON r.list_id = b.list_id AND r.member_id = b.member_id AND r.state = 'delivered'
  JOIN entries e ON e.list_id = r.list_id AND e.seq = r.seq;

ALTER TABLE batches
  ADD COLUMN due_business_days int,
  ADD COLUMN notify_failed_at  timestamptz,
  ADD COLUMN webhook_sent_at   timestamptz,
  ADD COLUMN last_reminded_at  timestamptz,
  ADD COLUMN reminders         int NOT NULL DEFAULT 0;
CREATE INDEX batches_open_idx ON batches (state, due_at) WHERE state <> 'closed';

-- `final`: the attempt that ended the job (sent, or the last failed attempt BullMQ will make).
ALTER TABLE deliveries ADD COLUMN final boolean NOT NULL DEFAULT false;

-- Preview and test mode: what was sent to a test address instead of the members, before release.
CREATE TABLE release_tests (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id    bigint NOT NULL REFERENCES lists (id),
  member_id  text NOT NULL REFERENCES members (id),
  recipient  text NOT NULL,
  status     text NOT NULL CHECK (status IN ('sent', 'failed')),
  response   text,
  message_id text,
  actor      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX release_tests_list_idx ON release_tests (list_id);

-- The portal reads batches under a scoped role with row-level security (0006): batch_entries
-- follows the same rule as batches. The role is created here if 0006 has not run yet.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deliveryline_scoped') THEN
    CREATE ROLE deliveryline_scoped NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT SELECT ON batch_entries TO deliveryline_scoped;
ALTER TABLE batch_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped ON batch_entries USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY scoped_read ON batch_entries FOR SELECT TO deliveryline_scoped USING (
  coalesce(current_setting('app.role', true), '') = 'coordinator'
  OR (coalesce(current_setting('app.role', true), '') = 'member' AND EXISTS (
        SELECT 1 FROM batches b WHERE b.id = batch_entries.batch_id
           AND b.member_id = nullif(current_setting('app.member_id', true), ''))));
