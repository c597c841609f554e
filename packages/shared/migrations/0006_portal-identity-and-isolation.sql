-- Portal: sign-in attempts for TOTP, members' proposals, and row-level security as the second wall.

ALTER TABLE users ADD COLUMN IF NOT EXISTS totp_enabled_at timestamptz;
ALTER TABLE users ADD COLUMN IF NOT EXISTS last_signin_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS scope text NOT NULL DEFAULT 'read'
  CHECK (scope IN ('read', 'write'));
CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions (user_id);

-- A member proposes a change to its own prefixes or contacts; a coordinator decides.
CREATE TABLE registry_proposals (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  member_id    text NOT NULL REFERENCES members (id),
  kind         text NOT NULL CHECK (kind IN ('prefix.add', 'prefix.remove', 'contacts')),
  cidr         cidr,
  contact_emails text[],
  valid_from   timestamptz NOT NULL DEFAULT now(),
  note         text,
  state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  proposed_by  bigint NOT NULL REFERENCES users (id),
  decided_by   bigint REFERENCES users (id),
  decided_at   timestamptz,
  decision_note text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'contacts') = (contact_emails IS NOT NULL)),
  CHECK ((kind <> 'contacts') = (cidr IS NOT NULL))
);
CREATE INDEX registry_proposals_state_idx ON registry_proposals (state, created_at);

-- Row-level security. The portal runs every scoped read inside a transaction that does
-- SET LOCAL ROLE deliveryline_scoped and sets app.role / app.member_id / app.source_id; the
-- policies below then hold even if a query forgot its WHERE. The workers (and the table
-- owner) are untouched: the "unscoped" policy lets every other role through, and owners and
-- superusers bypass RLS anyway.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deliveryline_scoped') THEN
    CREATE ROLE deliveryline_scoped NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created by a parallel migration run
END $$;
DO $$
BEGIN
  EXECUTE format('GRANT deliveryline_scoped TO %I', current_user);
EXCEPTION WHEN others THEN NULL; -- already a member, or a superuser that needs no grant
END $$;
GRANT USAGE ON SCHEMA public TO deliveryline_scoped;
GRANT SELECT ON lists, entries, routes, route_chunks, batches, deliveries, outcomes, rejects, members, prefixes,
  campaigns, sources, files, file_chunks, registry_proposals TO deliveryline_scoped;
-- names and addresses only: a scoped query can show who proposed something, never a hash or secret
GRANT SELECT (id, email, name, role, member_id, source_id) ON users TO deliveryline_scoped;

CREATE FUNCTION app_scope_role() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce(current_setting('app.role', true), '') $$;
CREATE FUNCTION app_scope_member() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('app.member_id', true), '') $$;
CREATE FUNCTION app_scope_source() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('app.source_id', true), '') $$;

ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE outcomes ENABLE ROW LEVEL SECURITY;
ALTER TABLE rejects ENABLE ROW LEVEL SECURITY;

CREATE POLICY unscoped ON entries USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY unscoped ON routes USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY unscoped ON batches USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY unscoped ON outcomes USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY unscoped ON rejects USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');

CREATE POLICY scoped_read ON routes FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR (app_scope_role() = 'member' AND routes.member_id = app_scope_member() AND routes.state = 'delivered')
  OR (app_scope_role() = 'source' AND routes.state = 'returned'
      AND EXISTS (SELECT 1 FROM lists l WHERE l.id = routes.list_id AND l.source_id = app_scope_source())));

-- An entry is visible when its route is: the member it was delivered to, the source it came back to.
CREATE POLICY scoped_read ON entries FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR EXISTS (SELECT 1 FROM routes r WHERE r.list_id = entries.list_id AND r.seq = entries.seq));

CREATE POLICY scoped_read ON batches FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR (app_scope_role() = 'member' AND batches.member_id = app_scope_member()));

CREATE POLICY scoped_read ON outcomes FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR (app_scope_role() = 'member' AND outcomes.member_id = app_scope_member()));

CREATE POLICY scoped_read ON rejects FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR (app_scope_role() = 'source'
      AND EXISTS (SELECT 1 FROM lists l WHERE l.id = rejects.list_id AND l.source_id = app_scope_source())));
