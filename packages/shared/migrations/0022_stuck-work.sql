-- Nothing stays stuck. The reconciler puts back a list's job that failed or was lost (a worker
-- killed three times while reading a file fails its job as "stalled"); `requeues` counts how often,
-- and past RECONCILE_MAX_REQUEUES the list fails with the job's last error instead.
ALTER TABLE lists ADD COLUMN requeues integer NOT NULL DEFAULT 0;
-- A batch whose notice failed is tried again every NOTIFY_RETRY_MINUTES until it goes out, or
-- until a coordinator stops it (dline batches stop-notice); who stopped it and when.
ALTER TABLE batches ADD COLUMN notify_stopped_at timestamptz, ADD COLUMN notify_stopped_by text;
CREATE INDEX batches_not_announced_idx ON batches (id) WHERE notified_at IS NULL;
