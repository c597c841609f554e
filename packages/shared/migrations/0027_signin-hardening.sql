-- Sign-in hardening (docs/portal.md, "ASVS level 2 — where we stand").

-- 1. One form for every stored e-mail: trimmed, NFKC-normalised, lower-case. The portal
--    normalises the same way (auth/email.ts) before it stores or looks one up, so the unique
--    constraint on users.email is a unique constraint on the normalised address. Two accounts
--    whose addresses become the same stop the migration with their names (merge or rename one).
DO $$
DECLARE
  dup text;
BEGIN
  SELECT string_agg(n, ', ') INTO dup FROM (
    SELECT lower(normalize(regexp_replace(email, '^\s+|\s+$', '', 'g'), NFKC)) AS n
      FROM users GROUP BY 1 HAVING count(*) > 1) d;
  IF dup IS NOT NULL THEN
    RAISE EXCEPTION 'users: these e-mail addresses are the same once trimmed, NFKC-normalised and lower-cased: %. Merge or rename the accounts (dline users), then migrate again', dup;
  END IF;
END $$;
UPDATE users SET email = lower(normalize(regexp_replace(email, '^\s+|\s+$', '', 'g'), NFKC))
 WHERE email <> lower(normalize(regexp_replace(email, '^\s+|\s+$', '', 'g'), NFKC));
-- locale-independent part of the rule, checked by the database itself
ALTER TABLE users ADD CONSTRAINT users_email_normalised CHECK (email !~ '[A-Z]' AND email !~ '^\s|\s$');

-- 2. Failed sign-in attempts per account ('account:<e-mail>', also for addresses with no account,
--    so the answer does not tell which exist) and per client address ('address:<ip>'), shared by
--    every portal process. An attempt is counted before the password is checked and forgiven
--    when it succeeds, so parallel guesses cannot slip past the count.
CREATE TABLE signin_throttle (
  key             text PRIMARY KEY,
  failures        integer NOT NULL DEFAULT 0,
  window_start    timestamptz NOT NULL,
  last_failure_at timestamptz NOT NULL,
  locked_until    timestamptz
);
CREATE INDEX signin_throttle_last_failure_idx ON signin_throttle (last_failure_at);

-- 3. TOTP: the last accepted time-step (a code is good once), wrong codes per pending session,
--    the idle timeout's clock. totp_secret now holds `enc1:` + AES-256-GCM (key TOTP_KEY); a
--    plain secret left from before is encrypted when the portal starts and when it is read.
ALTER TABLE users ADD COLUMN totp_last_step bigint;
ALTER TABLE sessions ADD COLUMN totp_failures integer NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();

-- 4. Recovery codes: ten per user, single use, stored as HMAC-SHA256 under a key derived from TOTP_KEY.
CREATE TABLE recovery_codes (
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at    timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- 5. Row-level security as on every table (0025): the portal reaches the two new tables only on
--    its own path (no caller's scope entered), never in a scope.
ALTER TABLE signin_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_service ON signin_throttle TO deliveryline_portal
  USING ((SELECT app_scope_role()) IS NULL) WITH CHECK ((SELECT app_scope_role()) IS NULL);
CREATE POLICY portal_service ON recovery_codes TO deliveryline_portal
  USING ((SELECT app_scope_role()) IS NULL) WITH CHECK ((SELECT app_scope_role()) IS NULL);
