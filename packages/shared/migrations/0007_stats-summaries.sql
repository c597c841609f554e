-- Figures for dashboards and reports (docs/dashboards.md). With 10 million entries the campaign
-- table and the per-member view must answer in under 200 ms, so they never scan routes or
-- outcomes: these summary tables are kept by statement-level triggers with transition tables
-- (one aggregate per INSERT/COPY/UPDATE/DELETE statement, not one trigger call per row), so the
-- code that writes routes and outcomes needs no change. stats_rebuild() recomputes them all.

-- Routing decisions per list, member and reason ('' stands for none, so the key has no NULL).
CREATE TABLE stats_list_routes (
  list_id   bigint NOT NULL,
  member_id text NOT NULL,
  state     text NOT NULL,
  reason    text NOT NULL,
  entries   bigint NOT NULL,
  PRIMARY KEY (list_id, member_id, state, reason)
);

-- Entries per batch by their current outcome (an entry's outcome is its latest row in outcomes).
CREATE TABLE stats_batch_outcomes (
  batch_id bigint NOT NULL,
  outcome  text NOT NULL,
  entries  bigint NOT NULL,
  PRIMARY KEY (batch_id, outcome)
);

-- Entries per batch by the moment they were first reported: an upload stores all its rows at one
-- now(), so this stays small and gives exact medians of "release → outcome".
CREATE TABLE stats_batch_first_reports (
  batch_id    bigint NOT NULL,
  reported_at timestamptz NOT NULL,
  entries     bigint NOT NULL,
  PRIMARY KEY (batch_id, reported_at)
);

-- Entries per batch whose current outcome is `notified`, by the day (JST) of the notification
-- (notified_at as the member reported it, else the time of the report).
CREATE TABLE stats_batch_notified_days (
  batch_id bigint NOT NULL,
  day      date NOT NULL,
  entries  bigint NOT NULL,
  PRIMARY KEY (batch_id, day)
);

CREATE INDEX IF NOT EXISTS lists_campaign_idx ON lists (campaign_id, round);
CREATE INDEX IF NOT EXISTS batches_list_idx ON batches (list_id);

CREATE FUNCTION stats_route_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- TG_OP tells which transition tables exist; each branch adds (+1) new rows and removes (−1) old ones.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO stats_list_routes AS s (list_id, member_id, state, reason, entries)
    SELECT list_id, coalesce(member_id, ''), state, coalesce(reason, ''), count(*) FROM new_rows GROUP BY 1, 2, 3, 4
    ON CONFLICT (list_id, member_id, state, reason) DO UPDATE SET entries = s.entries + excluded.entries;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO stats_list_routes AS s (list_id, member_id, state, reason, entries)
    SELECT list_id, coalesce(member_id, ''), state, coalesce(reason, ''), -count(*) FROM old_rows GROUP BY 1, 2, 3, 4
    ON CONFLICT (list_id, member_id, state, reason) DO UPDATE SET entries = s.entries + excluded.entries;
  ELSE
    INSERT INTO stats_list_routes AS s (list_id, member_id, state, reason, entries)
    SELECT list_id, m, st, rs, sum(d) FROM (
      SELECT list_id, coalesce(member_id, '') AS m, state AS st, coalesce(reason, '') AS rs, 1 AS d FROM new_rows
      UNION ALL
      SELECT list_id, coalesce(member_id, ''), state, coalesce(reason, ''), -1 FROM old_rows) x
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (list_id, member_id, state, reason) DO UPDATE SET entries = s.entries + excluded.entries;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER stats_routes_insert AFTER INSERT ON routes REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_route_delta();
CREATE TRIGGER stats_routes_delete AFTER DELETE ON routes REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_route_delta();
CREATE TRIGGER stats_routes_update AFTER UPDATE ON routes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_route_delta();

-- Outcomes are append-only (outcome.repository.ts): a new report for an entry replaces its
-- current outcome, so the entry leaves its previous (batch, outcome) cell and enters the new one.
CREATE FUNCTION stats_outcome_delta() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  -- One row per entry of the statement: its last new row (the new current outcome) and its first
  -- (the previous outcome is the latest row before it). An upload names each entry once, so the
  -- usual case needs no window functions (sorting a 50,000-row transition table three times cost
  -- more than everything else); a statement that names an entry twice takes the general form.
  nr text := 'SELECT entry_id, batch_id, outcome, coalesce(notified_at, reported_at) AS at, id AS first_id, reported_at AS first_at FROM new_rows';
  -- Only an entry of a batch that already had reports can have a previous outcome (an entry's
  -- outcomes all carry its batch): the first upload of a batch skips the per-entry lookups.
  prior bigint[];
BEGIN
  SELECT coalesce(array_agg(b), '{}') INTO prior FROM (SELECT DISTINCT batch_id AS b FROM new_rows) x
   WHERE EXISTS (SELECT 1 FROM stats_batch_outcomes s WHERE s.batch_id = x.b AND s.entries > 0);
  IF EXISTS (SELECT 1 FROM new_rows GROUP BY entry_id HAVING count(*) > 1) THEN
    nr := 'SELECT * FROM (SELECT entry_id, batch_id, outcome, coalesce(notified_at, reported_at) AS at,
             min(id) OVER w AS first_id, first_value(reported_at) OVER (w ORDER BY id) AS first_at,
             row_number() OVER (w ORDER BY id DESC) AS rn
             FROM new_rows WINDOW w AS (PARTITION BY entry_id)) x WHERE rn = 1';
  END IF;
  EXECUTE format($q$
  WITH nr AS (%s), e AS MATERIALIZED (
    SELECT nr.entry_id, nr.batch_id, nr.outcome, nr.at, nr.first_at, p.batch_id AS p_batch, p.outcome AS p_outcome, p.at AS p_at
      FROM nr
      LEFT JOIN LATERAL (
        SELECT o.batch_id, o.outcome, coalesce(o.notified_at, o.reported_at) AS at
          FROM outcomes o WHERE nr.batch_id = ANY ($1) AND o.entry_id = nr.entry_id AND o.id < nr.first_id
         ORDER BY o.id DESC LIMIT 1) p ON true
  ), by_outcome AS (
    INSERT INTO stats_batch_outcomes AS t (batch_id, outcome, entries)
    SELECT b, o, sum(d) FROM (
      SELECT batch_id AS b, outcome AS o, 1 AS d FROM e
      UNION ALL SELECT p_batch, p_outcome, -1 FROM e WHERE p_batch IS NOT NULL) x
    GROUP BY 1, 2
    ON CONFLICT (batch_id, outcome) DO UPDATE SET entries = t.entries + excluded.entries
  ), first_reports AS (
    INSERT INTO stats_batch_first_reports AS t (batch_id, reported_at, entries)
    SELECT batch_id, first_at, count(*) FROM e WHERE p_batch IS NULL GROUP BY 1, 2
    ON CONFLICT (batch_id, reported_at) DO UPDATE SET entries = t.entries + excluded.entries
  )
  INSERT INTO stats_batch_notified_days AS t (batch_id, day, entries)
  SELECT b, dy, sum(d) FROM (
    SELECT batch_id AS b, (at AT TIME ZONE 'Asia/Tokyo')::date AS dy, 1 AS d FROM e WHERE outcome = 'notified'
    UNION ALL SELECT p_batch, (p_at AT TIME ZONE 'Asia/Tokyo')::date, -1 FROM e WHERE p_outcome = 'notified') x
  GROUP BY 1, 2
  ON CONFLICT (batch_id, day) DO UPDATE SET entries = t.entries + excluded.entries
  $q$, nr) USING prior;
  RETURN NULL;
END $fn$;

CREATE TRIGGER stats_outcomes_insert AFTER INSERT ON outcomes REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_outcome_delta();

-- Recomputes every summary from routes and outcomes (the backfill below; or after a manual repair).
CREATE FUNCTION stats_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM stats_list_routes;
  DELETE FROM stats_batch_outcomes;
  DELETE FROM stats_batch_first_reports;
  DELETE FROM stats_batch_notified_days;
  INSERT INTO stats_list_routes (list_id, member_id, state, reason, entries)
  SELECT list_id, coalesce(member_id, ''), state, coalesce(reason, ''), count(*) FROM routes GROUP BY 1, 2, 3, 4;
  INSERT INTO stats_batch_outcomes (batch_id, outcome, entries)
  SELECT batch_id, outcome, count(*) FROM (
    SELECT DISTINCT ON (entry_id) batch_id, outcome FROM outcomes ORDER BY entry_id, id DESC) x GROUP BY 1, 2;
  INSERT INTO stats_batch_first_reports (batch_id, reported_at, entries)
  SELECT batch_id, reported_at, count(*) FROM (
    SELECT DISTINCT ON (entry_id) batch_id, reported_at FROM outcomes ORDER BY entry_id, id) x GROUP BY 1, 2;
  INSERT INTO stats_batch_notified_days (batch_id, day, entries)
  SELECT batch_id, (at AT TIME ZONE 'Asia/Tokyo')::date, count(*) FROM (
    SELECT DISTINCT ON (entry_id) batch_id, outcome, coalesce(notified_at, reported_at) AS at
      FROM outcomes ORDER BY entry_id, id DESC) x WHERE outcome = 'notified' GROUP BY 1, 2;
END $$;

SELECT stats_rebuild();

-- Summaries hold counts only, no entry and no address; the portal's scoped role may read them
-- (the stats module decides which member may see which row: docs/dashboards.md "Who sees what").
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deliveryline_scoped') THEN
    CREATE ROLE deliveryline_scoped NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT SELECT ON stats_list_routes, stats_batch_outcomes, stats_batch_first_reports, stats_batch_notified_days TO deliveryline_scoped;
