-- Least privilege in the database (docs/security.md, "Database roles").
--
-- deliveryline_owner   owns every table and function; migrations run as it (db/migrate.ts). No login.
-- deliveryline_worker  the workers and the CLI: a member of the owner, because they create and attach
--                      each big list's own partition and write with COPY (which PostgreSQL refuses
--                      under row-level security). Not a superuser, no BYPASSRLS attribute.
-- deliveryline_portal  the portal: row-level security on every table it can reach. Outside a scope
--                      (sign-in, writes after the portal's own checks) it acts as the service; inside
--                      a scope — entered only through app_enter_scope(), once per transaction — it
--                      sees what that caller may see, and nothing can widen it.
-- The roles have no login here: db/roles.ts gives the worker and portal roles a login (the
-- embedded PostgreSQL does it with generated passwords; an operator with `dline db roles`).
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deliveryline_owner') THEN CREATE ROLE deliveryline_owner NOLOGIN; END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- created by a parallel migration run
END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deliveryline_worker') THEN CREATE ROLE deliveryline_worker NOLOGIN; END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deliveryline_portal') THEN CREATE ROLE deliveryline_portal NOLOGIN; END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  GRANT deliveryline_owner TO deliveryline_worker;
EXCEPTION WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL;
END $$;

GRANT USAGE, CREATE ON SCHEMA public TO deliveryline_owner;
GRANT USAGE ON SCHEMA public TO deliveryline_worker, deliveryline_portal;

-- Everything in the schema changes hands to the owner.
DO $$
DECLARE o record;
BEGIN
  FOR o IN SELECT c.oid::regclass AS name FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO deliveryline_owner', o.name);
  END LOOP;
  FOR o IN SELECT c.oid::regclass AS name FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO deliveryline_owner', o.name);
  END LOOP;
  FOR o IN SELECT p.oid::regprocedure AS name FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO deliveryline_owner', o.name);
  END LOOP;
END $$;

-- The former scoped role (0006) is retired: a portal that could SET ROLE to it could RESET it too.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM deliveryline_scoped;
DROP POLICY IF EXISTS unscoped ON entries;
DROP POLICY IF EXISTS scoped_read ON entries;
DROP POLICY IF EXISTS unscoped ON routes;
DROP POLICY IF EXISTS scoped_read ON routes;
DROP POLICY IF EXISTS unscoped ON batches;
DROP POLICY IF EXISTS scoped_read ON batches;
DROP POLICY IF EXISTS unscoped ON outcomes;
DROP POLICY IF EXISTS scoped_read ON outcomes;
DROP POLICY IF EXISTS unscoped ON rejects;
DROP POLICY IF EXISTS scoped_read ON rejects;
DROP POLICY IF EXISTS unscoped ON batch_entries;
DROP POLICY IF EXISTS scoped_read ON batch_entries;
DROP POLICY IF EXISTS unscoped ON entries_shared;
DROP POLICY IF EXISTS scoped_read ON entries_shared;
DROP POLICY IF EXISTS unscoped ON routes_shared;
DROP POLICY IF EXISTS scoped_read ON routes_shared;
DROP POLICY IF EXISTS unscoped ON batch_entries_shared;
DROP POLICY IF EXISTS scoped_read ON batch_entries_shared;
DROP FUNCTION IF EXISTS app_scope_role();
DROP FUNCTION IF EXISTS app_scope_member();
DROP FUNCTION IF EXISTS app_scope_source();

-- The portal reaches the tables (never a partition by its name: those stay the owner's alone).
DO $$
DECLARE o record;
BEGIN
  FOR o IN SELECT c.oid::regclass AS name FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO deliveryline_portal', o.name);
  END LOOP;
END $$;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO deliveryline_portal;
-- the audit log is appended to, never changed; the migrations are read
REVOKE UPDATE, DELETE ON audit_events, schema_migrations FROM deliveryline_portal;
REVOKE INSERT ON schema_migrations FROM deliveryline_portal;
-- tables the owner creates in later migrations: the same grants
ALTER DEFAULT PRIVILEGES FOR ROLE deliveryline_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO deliveryline_portal;
ALTER DEFAULT PRIVILEGES FOR ROLE deliveryline_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO deliveryline_portal;

-- The key that seals a scope (never readable by the portal: no grant, and RLS with no policy).
CREATE TABLE scope_key (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  key bytea NOT NULL
);
INSERT INTO scope_key (key)
  VALUES (decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'));
REVOKE ALL ON scope_key FROM PUBLIC, deliveryline_portal;
ALTER TABLE scope_key OWNER TO deliveryline_owner;

CREATE FUNCTION app_scope_seal(payload text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS
  $$ SELECT encode(sha256(convert_to(payload, 'UTF8') || (SELECT key FROM public.scope_key)), 'hex') $$;
REVOKE EXECUTE ON FUNCTION app_scope_seal(text) FROM PUBLIC;

-- What marks "this transaction entered a scope": a transaction-level advisory lock, which cannot
-- be released before the transaction ends (shared, so scoped transactions never wait on each other).
CREATE FUNCTION app_scope_entered() RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS
  $$ SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                    AND classid = 7242 AND objid = 3 AND objsubid = 2 AND granted) $$;

/*
 * The caller's scope for this transaction: {role, member, source}, or NULL when the transaction
 * entered none (the portal's service path). app.scope holds role|member|source|backend|xact|seal;
 * a value the portal wrote itself, one copied from another transaction, or one removed after
 * app_enter_scope() raises instead of widening anything.
 */
CREATE FUNCTION app_scope() RETURNS text[]
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v text := current_setting('app.scope', true);
  p text[];
BEGIN
  IF v IS NULL OR v = '' THEN
    IF app_scope_entered() THEN
      RAISE EXCEPTION 'this transaction''s scope was removed' USING ERRCODE = '42501';
    END IF;
    RETURN NULL;
  END IF;
  p := string_to_array(v, '|');
  IF array_length(p, 1) <> 6 OR NOT app_scope_entered()
     OR p[4] <> pg_backend_pid()::text OR p[5] <> extract(epoch FROM transaction_timestamp())::text
     OR p[6] <> app_scope_seal(array_to_string(p[1:5], '|')) THEN
    RAISE EXCEPTION 'app.scope was not set by app_enter_scope() in this transaction' USING ERRCODE = '42501';
  END IF;
  RETURN p[1:3];
END $$;

/* Enters a caller's scope for the rest of this transaction; a second call in the same transaction raises. */
CREATE FUNCTION app_enter_scope(role text, member text, source text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE payload text;
BEGIN
  IF app_scope_entered() THEN
    RAISE EXCEPTION 'this transaction has entered a scope already' USING ERRCODE = '42501';
  END IF;
  IF role NOT IN ('coordinator', 'viewer', 'member', 'source')
     OR (role = 'member' AND coalesce(member, '') = '') OR (role = 'source' AND coalesce(source, '') = '')
     OR coalesce(member, '') LIKE '%|%' OR coalesce(source, '') LIKE '%|%' THEN
    RAISE EXCEPTION 'not a scope: % % %', role, member, source USING ERRCODE = '22023';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(7242, 3);
  payload := concat_ws('|', role, CASE WHEN role = 'member' THEN member ELSE '' END, CASE WHEN role = 'source' THEN source ELSE '' END,
                       pg_backend_pid()::text, extract(epoch FROM transaction_timestamp())::text);
  PERFORM set_config('app.scope', payload || '|' || app_scope_seal(payload), true);
END $$;
REVOKE EXECUTE ON FUNCTION app_enter_scope(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_enter_scope(text, text, text) TO deliveryline_portal;

CREATE FUNCTION app_scope_role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT (app_scope())[1] $$;
CREATE FUNCTION app_scope_member() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif((app_scope())[2], '') $$;
CREATE FUNCTION app_scope_source() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif((app_scope())[3], '') $$;
ALTER FUNCTION app_scope_seal(text) OWNER TO deliveryline_owner;
ALTER FUNCTION app_scope_entered() OWNER TO deliveryline_owner;
ALTER FUNCTION app_scope() OWNER TO deliveryline_owner;
ALTER FUNCTION app_enter_scope(text, text, text) OWNER TO deliveryline_owner;
ALTER FUNCTION app_scope_role() OWNER TO deliveryline_owner;
ALTER FUNCTION app_scope_member() OWNER TO deliveryline_owner;
ALTER FUNCTION app_scope_source() OWNER TO deliveryline_owner;

/*
 * Row-level security on every table, for the portal. Two policies each: `portal_service` (no
 * scope entered: the portal's own path, everything) and `portal_scoped` (reads in a scope). The
 * scope functions are called as (SELECT …) so each runs once per statement, not per row.
 */
CREATE FUNCTION app_rls(tbl regclass, visible text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY portal_service ON %s TO deliveryline_portal USING ((SELECT app_scope_role()) IS NULL) WITH CHECK ((SELECT app_scope_role()) IS NULL)', tbl);
  EXECUTE format('CREATE POLICY portal_scoped ON %s FOR SELECT TO deliveryline_portal USING (%s)', tbl, visible);
END $$;

-- r = the role, m = the member, s = the source of the scope
SELECT app_rls(t::regclass, replace(replace(replace(v,
    '{r}', '(SELECT app_scope_role())'), '{m}', '(SELECT app_scope_member())'), '{s}', '(SELECT app_scope_source())'))
FROM (VALUES
  ('lists', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'source' AND lists.source_id = {s})
      OR ({r} = 'member' AND EXISTS (SELECT 1 FROM batches b WHERE b.list_id = lists.id AND b.member_id = {m})) $v$),
  ('entries', $v$ {r} = 'coordinator' OR EXISTS (SELECT 1 FROM routes r WHERE r.list_id = entries.list_id AND r.seq = entries.seq) $v$),
  ('routes', $v$ {r} = 'coordinator' OR ({r} = 'member' AND routes.member_id = {m} AND routes.state = 'delivered')
      OR ({r} = 'source' AND routes.state = 'returned' AND EXISTS (SELECT 1 FROM lists l WHERE l.id = routes.list_id AND l.source_id = {s})) $v$),
  ('route_chunks', $v$ {r} = 'coordinator' $v$),
  ('batches', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'member' AND batches.member_id = {m}) $v$),
  ('batch_entries', $v$ {r} = 'coordinator' OR ({r} = 'member' AND EXISTS (SELECT 1 FROM batches b WHERE b.id = batch_entries.batch_id AND b.member_id = {m})) $v$),
  ('deliveries', $v$ {r} = 'coordinator' OR ({r} = 'member' AND EXISTS (SELECT 1 FROM batches b WHERE b.id = deliveries.batch_id AND b.member_id = {m})) $v$),
  ('release_tests', $v$ {r} = 'coordinator' $v$),
  ('outcomes', $v$ {r} = 'coordinator' OR ({r} = 'member' AND outcomes.member_id = {m}) $v$),
  ('rejects', $v$ {r} = 'coordinator' OR ({r} = 'source' AND EXISTS (SELECT 1 FROM lists l WHERE l.id = rejects.list_id AND l.source_id = {s})) $v$),
  ('files', $v$ {r} = 'coordinator' OR ({r} = 'source' AND EXISTS (SELECT 1 FROM lists l WHERE l.file_sha256 = files.sha256 AND l.source_id = {s})) $v$),
  ('file_chunks', $v$ {r} = 'coordinator' OR ({r} = 'source' AND EXISTS (SELECT 1 FROM lists l WHERE l.file_sha256 = file_chunks.sha256 AND l.source_id = {s})) $v$),
  ('members', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'member' AND members.id = {m}) $v$),
  ('prefixes', $v$ {r} = 'coordinator' OR ({r} = 'member' AND prefixes.member_id = {m}) $v$),
  ('registry_proposals', $v$ {r} = 'coordinator' OR ({r} = 'member' AND registry_proposals.member_id = {m}) $v$),
  ('registry_version', $v$ true $v$),
  ('sources', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'source' AND sources.id = {s})
      OR ({r} = 'member' AND NOT sources.anonymous
          AND EXISTS (SELECT 1 FROM lists l JOIN batches b ON b.list_id = l.id WHERE l.source_id = sources.id AND b.member_id = {m})) $v$),
  ('ingest_profiles', $v$ {r} = 'coordinator' OR ({r} = 'source' AND ingest_profiles.source_id = {s}) $v$),
  ('campaigns', $v$ true $v$),
  ('users', $v$ {r} = 'coordinator' OR ({r} = 'member' AND users.member_id = {m}) OR ({r} = 'source' AND users.source_id = {s}) $v$),
  ('sessions', $v$ {r} = 'coordinator' $v$),
  ('api_tokens', $v$ {r} = 'coordinator' $v$),
  ('audit_events', $v$ {r} = 'coordinator' $v$),
  ('stats_batch_outcomes', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'member' AND EXISTS (SELECT 1 FROM batches b WHERE b.id = stats_batch_outcomes.batch_id AND b.member_id = {m})) $v$),
  ('stats_batch_first_reports', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'member' AND EXISTS (SELECT 1 FROM batches b WHERE b.id = stats_batch_first_reports.batch_id AND b.member_id = {m})) $v$),
  ('stats_batch_notified_days', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'member' AND EXISTS (SELECT 1 FROM batches b WHERE b.id = stats_batch_notified_days.batch_id AND b.member_id = {m})) $v$),
  ('stats_list_routes', $v$ {r} IN ('coordinator', 'viewer') OR ({r} = 'member' AND stats_list_routes.member_id = {m})
      OR ({r} = 'source' AND EXISTS (SELECT 1 FROM lists l WHERE l.id = stats_list_routes.list_id AND l.source_id = {s})) $v$),
  ('deployment', $v$ true $v$),
  ('schema_migrations', $v$ true $v$)
) AS t(t, v);
ALTER TABLE scope_key ENABLE ROW LEVEL SECURITY; -- and no policy: nobody but its owner reads it
DROP FUNCTION app_rls(regclass, text);

-- A table the portal can reach without a policy would be read whole: none may be left.
DO $$
DECLARE missing text;
BEGIN
  SELECT string_agg(c.relname, ', ') INTO missing FROM pg_class c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND NOT c.relrowsecurity;
  IF missing IS NOT NULL THEN RAISE EXCEPTION 'tables without row-level security: %', missing; END IF;
END $$;
