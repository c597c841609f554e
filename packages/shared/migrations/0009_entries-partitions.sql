-- `entries` becomes a table partitioned by list. A list of more than 100,000 entries is written
-- into a table of its own with no index, its indexes are then built in one sorted pass each, and the
-- table is attached as the list's partition in the transaction that stores the list. Keeping three
-- indexes up to date row by row cost PostgreSQL 6.4 of its 7.7 s for a million rows on the
-- bench machine; a COPY with no index and three bulk builds take 1.3 s + 2.4 s (docs/ingest.md).
-- Smaller lists, and every entry stored before this migration, stay in the default partition
-- `entries_shared`, so the number of partitions grows with the big lists only.
--
-- A partitioned table cannot hold an identity column or a primary key without the partition key
-- in PostgreSQL 15: ids come from the same kind of sequence (cached, see 0008) and are unique
-- because only that sequence hands them out; `(id)` is indexed in every partition.

ALTER TABLE entries RENAME TO entries_shared;
ALTER INDEX entries_ip_idx RENAME TO entries_shared_ip_idx;
ALTER TABLE entries_shared DROP CONSTRAINT entries_pkey;
ALTER TABLE entries_shared ALTER COLUMN id DROP IDENTITY;

CREATE SEQUENCE entries_id_seq CACHE 1000;
SELECT setval('entries_id_seq', coalesce((SELECT max(id) FROM entries_shared), 0) + 1, false);

CREATE TABLE entries (
  id          bigint NOT NULL DEFAULT nextval('entries_id_seq'),
  list_id     bigint NOT NULL,
  seq         int NOT NULL,
  row_no      int NOT NULL,
  ip          inet NOT NULL,
  observed_at timestamptz NOT NULL,
  port        int CONSTRAINT entries_port_check CHECK (port BETWEEN 0 AND 65535),
  malware     text,
  extra       jsonb,
  repeat_of   bigint
) PARTITION BY LIST (list_id);
ALTER SEQUENCE entries_id_seq OWNED BY entries.id;
ALTER TABLE entries_shared ALTER COLUMN id SET DEFAULT nextval('entries_id_seq');
ALTER TABLE entries ATTACH PARTITION entries_shared DEFAULT;

-- the existing indexes of entries_shared are attached to these, not built again
CREATE INDEX entries_id_idx ON entries (id);
CREATE UNIQUE INDEX entries_list_seq_idx ON entries (list_id, seq);
CREATE INDEX entries_ip_idx ON entries (ip, observed_at);

COMMENT ON COLUMN entries.seq IS '1..received: windows of the file in order, each sorted by (ip, observed_at); file order is row_no';
COMMENT ON COLUMN entries.row_no IS 'the data record the entry came from: file order';

-- what 0006 gave the old table: read access for the portal's scoped role, under the same policies
GRANT SELECT ON entries TO deliveryline_scoped;
ALTER TABLE entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped ON entries USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY scoped_read ON entries FOR SELECT TO deliveryline_scoped USING (
  app_scope_role() = 'coordinator'
  OR EXISTS (SELECT 1 FROM routes r WHERE r.list_id = entries.list_id AND r.seq = entries.seq));
