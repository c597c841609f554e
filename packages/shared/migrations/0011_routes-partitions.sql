-- `routes` becomes a table partitioned by list, like `entries` (0009) and `batch_entries` (0010).
-- The first routing run of a list of more than 100,000 entries writes its decisions, chunk by
-- chunk, into a table of that run with no index (`routes_l<list>_r<run>`); finishing the run builds
-- the two indexes in one sorted pass each, adds the run's figures to stats_list_routes (what the
-- insert trigger does row set by row set) and attaches the table as the list's partition. Keeping
-- the two indexes up to date per chunk cost 0.35 s of every 100,000 decisions on the bench machine;
-- a COPY into the bare table takes 0.05 s (docs/routing.md). Smaller lists, later runs of a list
-- (a re-route replaces decisions in place) and every decision stored before this migration stay
-- in the default partition `routes_shared`, or in the list's own partition once it has one.

ALTER TABLE routes RENAME TO routes_shared;
ALTER INDEX routes_pkey RENAME TO routes_shared_pkey;
ALTER INDEX routes_member_idx RENAME TO routes_shared_member_idx;
-- the summary triggers move to the parent, where every statement on any partition passes
DROP TRIGGER stats_routes_insert ON routes_shared;
DROP TRIGGER stats_routes_delete ON routes_shared;
DROP TRIGGER stats_routes_update ON routes_shared;

CREATE TABLE routes (
  list_id   bigint NOT NULL,
  seq       int NOT NULL,
  member_id text,
  state     text NOT NULL CONSTRAINT routes_state_check CHECK (state IN ('delivered', 'returned')),
  reason    text CONSTRAINT routes_reason_check CHECK (reason IN ('no_member', 'member_inactive', 'non_routable', 'not_our_address')),
  CONSTRAINT routes_check CHECK ((state = 'delivered') = (member_id IS NOT NULL AND reason IS NULL))
) PARTITION BY LIST (list_id);
ALTER TABLE routes ATTACH PARTITION routes_shared DEFAULT;

-- the existing indexes of routes_shared are attached to these, not built again
ALTER TABLE routes ADD CONSTRAINT routes_pkey PRIMARY KEY (list_id, seq);
CREATE INDEX routes_member_idx ON routes (list_id, member_id);

CREATE TRIGGER stats_routes_insert AFTER INSERT ON routes REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_route_delta();
CREATE TRIGGER stats_routes_delete AFTER DELETE ON routes REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_route_delta();
CREATE TRIGGER stats_routes_update AFTER UPDATE ON routes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_route_delta();

-- what 0006 gave the old table: read access for the portal's scoped role, under the same policies
GRANT SELECT ON routes TO deliveryline_scoped;
ALTER TABLE routes ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped ON routes USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY scoped_read ON routes FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR (app_scope_role() = 'member' AND routes.member_id = app_scope_member() AND routes.state = 'delivered')
  OR (app_scope_role() = 'source' AND routes.state = 'returned'
      AND EXISTS (SELECT 1 FROM lists l WHERE l.id = routes.list_id AND l.source_id = app_scope_source())));

-- entries' policy named the old table (a policy holds the table itself, not its name): now the parent
DROP POLICY scoped_read ON entries;
CREATE POLICY scoped_read ON entries FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR EXISTS (SELECT 1 FROM routes r WHERE r.list_id = entries.list_id AND r.seq = entries.seq));
