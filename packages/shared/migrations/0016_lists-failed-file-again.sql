-- A list that failed (naive times without a zone, a damaged zip, …) no longer holds its file in the
-- campaign: the failure message tells the coordinator to upload the file again (with --timezone,
-- say), and the unique key on (campaign, file) refused exactly that. The failed list stays, with
-- its failure; the file may be uploaded once more beside it. A file is still accepted once per
-- campaign among the lists that did not fail.
ALTER TABLE lists DROP CONSTRAINT lists_campaign_id_file_sha256_key;
CREATE UNIQUE INDEX lists_campaign_file_idx ON lists (campaign_id, file_sha256) WHERE state <> 'failed';
