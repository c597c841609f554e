-- The sources' stored files and their refused rows are read by the portal only in a caller's
-- scope (a source its own, a coordinator all: 0025's portal_scoped policies). Outside a scope the
-- portal stores them (an upload, a parse's rejects) but reads none: the portal's own credentials
-- cannot read another source's file whole (docs/security.md).
DROP POLICY portal_service ON file_chunks;
DROP POLICY portal_service ON rejects;
CREATE POLICY portal_service_insert ON file_chunks FOR INSERT TO deliveryline_portal WITH CHECK ((SELECT app_scope_role()) IS NULL);
CREATE POLICY portal_service_insert ON rejects FOR INSERT TO deliveryline_portal WITH CHECK ((SELECT app_scope_role()) IS NULL);
