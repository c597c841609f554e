-- A coordinator can refuse a list that waits for approval: it ends in `refused` (final, never
-- released, not counted in any figure, like `failed`), with who, when and why. See docs/portal.md.
ALTER TABLE lists DROP CONSTRAINT lists_state_check;
ALTER TABLE lists ADD CONSTRAINT lists_state_check CHECK (state IN ('uploaded', 'parsing', 'parsed', 'routing', 'routed',
  'awaiting_approval', 'released', 'returned_sent', 'failed', 'refused'));
ALTER TABLE lists
  ADD COLUMN refused_by     text,
  ADD COLUMN refused_at     timestamptz,
  ADD COLUMN refusal_reason text,
  ADD CONSTRAINT lists_refusal_check CHECK ((state = 'refused') = (refused_at IS NOT NULL AND refusal_reason IS NOT NULL));

-- A user created in the portal gets a generated one-time password and must choose their own at
-- the first sign-in.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
