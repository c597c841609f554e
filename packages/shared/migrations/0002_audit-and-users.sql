-- Identity: users of every role, scoped API tokens (hashed), sessions.
CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text NOT NULL UNIQUE,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('coordinator', 'member', 'source', 'viewer')),
  member_id     text REFERENCES members (id),
  source_id     text REFERENCES sources (id),
  password_hash text,
  totp_secret   text,
  language      text NOT NULL DEFAULT 'ja' CHECK (language IN ('ja', 'en')),
  active        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'member') = (member_id IS NOT NULL)),
  CHECK ((role = 'source') = (source_id IS NOT NULL))
);

CREATE TABLE api_tokens (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id),
  name        text NOT NULL,
  token_hash  text NOT NULL UNIQUE,   -- sha256 of the secret; the secret is shown once
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at  timestamptz
);

CREATE TABLE sessions (
  id_hash     text PRIMARY KEY,       -- sha256 of the cookie value
  user_id     bigint NOT NULL REFERENCES users (id),
  csrf_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  second_factor_ok boolean NOT NULL DEFAULT false
);

CREATE INDEX audit_events_action_idx ON audit_events (action, at);
