-- `batch_entries` becomes a table partitioned by list, like `entries` (0009). The first release of
-- a list with more than 100,000 delivered entries writes its rows into a table of its own with no
-- index, builds the indexes in one sorted pass each and attaches the table as the list's partition,
-- all in the release transaction. Row by row, the three indexes made the release of a million-entry
-- list (567,512 batch entries) take 9 s of its 18 s on the bench machine; in bulk they take 1.3 s
-- (docs/delivery.md). Smaller lists, later additions (a misrouted entry moved to another member)
-- and every row stored before this migration stay in the default partition `batch_entries_shared`.
--
-- A partitioned table's unique indexes must hold the partition key: the primary key becomes
-- (batch_id, seq, list_id) and the opaque id's index (ref, list_id). A batch belongs to one list,
-- so (batch_id, seq) stays unique; `ref` is 96 random bits, unique in practice everywhere and
-- enforced unique within each list; readers give the list so that only its partition is read.

-- Two cheaper forms of the same rules as 0005, found on the same release: `ref` sorts bytewise
-- (COLLATE "C"; its index builds in 0.4 s instead of 1.1 s under the database's C.UTF-8, and equal
-- is equal either way), and its format check no longer runs a regular expression per row (1.1 s of
-- the 567,512-row insert; the translate() form says the same: `e` and 24 lowercase hex digits).

ALTER TABLE batch_entries RENAME TO batch_entries_shared;
ALTER TABLE batch_entries_shared DROP CONSTRAINT batch_entries_pkey;
DROP INDEX batch_entries_ref_idx;
ALTER INDEX batch_entries_entry_idx RENAME TO batch_entries_shared_entry_idx;
ALTER TABLE batch_entries_shared DROP CONSTRAINT batch_entries_ref_check;
ALTER TABLE batch_entries_shared ALTER COLUMN ref TYPE text COLLATE "C";
ALTER TABLE batch_entries_shared ADD CONSTRAINT batch_entries_ref_check
  CHECK (length(ref) = 25 AND left(ref, 1) = 'e' AND translate(substr(ref, 2), '0123456789abcdef', '') = '');

CREATE TABLE batch_entries (
  batch_id   bigint NOT NULL,
  seq        int NOT NULL,
  list_id    bigint NOT NULL,
  entry_id   bigint NOT NULL,
  ref        text COLLATE "C" NOT NULL CONSTRAINT batch_entries_ref_check
               CHECK (length(ref) = 25 AND left(ref, 1) = 'e' AND translate(substr(ref, 2), '0123456789abcdef', '') = ''),
  relapse_of bigint
) PARTITION BY LIST (list_id);
ALTER TABLE batch_entries ATTACH PARTITION batch_entries_shared DEFAULT;

ALTER TABLE batch_entries ADD PRIMARY KEY (batch_id, seq, list_id);
CREATE UNIQUE INDEX batch_entries_ref_idx ON batch_entries (ref, list_id);
-- the existing index of batch_entries_shared is attached to this one, not built again
CREATE INDEX batch_entries_entry_idx ON batch_entries (entry_id);

-- what 0005 gave the old table: read access for the portal's scoped role, under the same policies
GRANT SELECT ON batch_entries TO deliveryline_scoped;
ALTER TABLE batch_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY unscoped ON batch_entries USING (current_user <> 'deliveryline_scoped') WITH CHECK (current_user <> 'deliveryline_scoped');
CREATE POLICY scoped_read ON batch_entries FOR SELECT TO deliveryline_scoped USING (
  coalesce(current_setting('app.role', true), '') = 'coordinator'
  OR (coalesce(current_setting('app.role', true), '') = 'member' AND EXISTS (
        SELECT 1 FROM batches b WHERE b.id = batch_entries.batch_id
           AND b.member_id = nullif(current_setting('app.member_id', true), ''))));
