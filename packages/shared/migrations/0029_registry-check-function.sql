-- The registry check's "prefixes nested across members" for the portal. Under row-level security
-- the prefix containment (<<) and period overlap (&&) operators, which PostgreSQL does not mark
-- leakproof, cannot use the indexes, and the self-join took a second on 100,000 prefixes. This
-- function runs it with the owner's rights, for a coordinator's scope or the portal's own path
-- only: in a member's or a source's scope it refuses (docs/security.md lists it among the reviewed
-- SECURITY DEFINER functions).
CREATE FUNCTION registry_nested_holdings()
  RETURNS TABLE (inner_member text, inner_cidr text, outer_member text, outer_cidr text)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
#variable_conflict use_column
BEGIN
  IF coalesce(app_scope_role(), 'coordinator') <> 'coordinator' THEN
    RAISE EXCEPTION 'the registry check is for coordinators' USING ERRCODE = '42501';
  END IF;
  RETURN QUERY
    SELECT DISTINCT i.member_id, i.cidr::text, o.member_id, o.cidr::text
      FROM prefixes i JOIN prefixes o ON i.cidr << o.cidr AND i.member_id <> o.member_id
       AND tstzrange(i.valid_from, i.valid_to) && tstzrange(o.valid_from, o.valid_to)
     ORDER BY 2, 4;
END $$;
REVOKE EXECUTE ON FUNCTION registry_nested_holdings() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION registry_nested_holdings() TO deliveryline_portal, deliveryline_worker;
