-- An e-mail attempt whose outcome is not known: the connection broke or timed out once the
-- message may have reached the server, or the worker died while the server held its reply.
-- The attempt's row is written before the message is sent (as `unknown`) and settled after it,
-- so a second message for the same batch is always explained by the record (docs/delivery.md).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('sent', 'failed', 'unknown'));
