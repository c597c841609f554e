-- deliveryline: the system of record. See shared/docs/design.md "Data model".
-- Bulk tables (entries, routes) carry no foreign keys on purpose: COPY of a million rows would
-- fire a referential trigger per row; their integrity is kept by the single transaction that
-- writes them and by the unique keys below.

CREATE TABLE sources (
  id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_.-]*$'),
  name             text NOT NULL,
  kind             text NOT NULL DEFAULT 'other' CHECK (kind IN ('jpcert', 'police', 'feed', 'other')),
  default_timezone text,
  default_profile  text,
  anonymous        boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaigns (
  id                text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_.-]*$'),
  name              text NOT NULL,
  malware           text[] NOT NULL DEFAULT '{}',
  tlp               text NOT NULL DEFAULT 'amber' CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
  description       text,
  due_days          int CHECK (due_days > 0),
  approval_required boolean,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- Original files, verbatim, content-addressed; kept in 1 MiB chunks so no process holds a whole file.
CREATE TABLE files (
  sha256     bytea PRIMARY KEY,
  size       bigint NOT NULL,
  chunks     int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE file_chunks (
  sha256 bytea NOT NULL REFERENCES files (sha256),
  seq    int NOT NULL,
  data   bytea NOT NULL,
  PRIMARY KEY (sha256, seq)
);

CREATE TABLE lists (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id   text NOT NULL REFERENCES campaigns (id),
  source_id     text NOT NULL REFERENCES sources (id),
  round         int CHECK (round > 0),
  file_sha256   bytea NOT NULL REFERENCES files (sha256),
  file_name     text NOT NULL,
  profile       text,
  encoding      text,
  timezone      text,
  tlp           text NOT NULL,
  state         text NOT NULL DEFAULT 'uploaded' CHECK (state IN ('uploaded', 'parsing', 'parsed', 'routing', 'routed',
                  'awaiting_approval', 'released', 'returned_sent', 'failed')),
  failure       text,
  columns       text[],            -- the file's header as read, for returning entries in the source's own layout
  rows_read     int,
  rejected      int,
  duplicates    int,
  received      int,
  delivered     int,
  returned      int,
  route_run     int NOT NULL DEFAULT 0,
  route_chunks  int,
  uploaded_by   text,
  approved_by   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  parsed_at     timestamptz,
  routed_at     timestamptz,
  released_at   timestamptz,
  approved_at   timestamptz,
  returned_sent_at timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, file_sha256)
);
CREATE INDEX lists_state_idx ON lists (state);

CREATE TABLE rejects (
  list_id bigint NOT NULL,
  row_no  int NOT NULL,    -- 1-based data record number, header excluded
  line_no int NOT NULL,    -- the file line the record starts on
  raw     text NOT NULL,
  reason  text NOT NULL,   -- stable code, e.g. ip.leading_zero
  message text NOT NULL,
  PRIMARY KEY (list_id, row_no)
);

CREATE TABLE entries (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id     bigint NOT NULL,
  seq         int NOT NULL,     -- 1..received, in file order; the unit of route chunks
  row_no      int NOT NULL,     -- the data record it came from
  ip          inet NOT NULL,
  observed_at timestamptz NOT NULL,
  port        int CHECK (port BETWEEN 0 AND 65535),
  malware     text,
  extra       jsonb,
  repeat_of   bigint,           -- an earlier entry of the same campaign with the same ip/observed_at/port
  UNIQUE (list_id, seq)
);
CREATE INDEX entries_ip_idx ON entries (ip, observed_at);

CREATE TABLE members (
  id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
  name            text NOT NULL,
  contact_emails  text[] NOT NULL DEFAULT '{}',
  active          boolean NOT NULL DEFAULT true,
  joined_on       date,
  left_on         date,
  language        text NOT NULL DEFAULT 'ja' CHECK (language IN ('ja', 'en', 'both')),
  webhook_url     text,
  webhook_secret  text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Ownership over time, [valid_from, valid_to). A change closes a row and adds one; nothing is overwritten.
CREATE TABLE prefixes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  member_id  text NOT NULL REFERENCES members (id),
  cidr       cidr NOT NULL,
  valid_from timestamptz NOT NULL DEFAULT '-infinity',
  valid_to   timestamptz NOT NULL DEFAULT 'infinity',
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_from < valid_to),
  EXCLUDE USING gist (cidr inet_ops WITH =, tstzrange(valid_from, valid_to) WITH &&)
);
CREATE INDEX prefixes_member_idx ON prefixes (member_id);

-- Bumped by every registry change; routers rebuild their matcher when it moves.
CREATE TABLE registry_version (one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL);
INSERT INTO registry_version VALUES (true, 1);
CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE registry_version SET version = version + 1; RETURN NULL; END $$;
CREATE TRIGGER prefixes_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON prefixes
  FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER members_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON members
  FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();

-- The routing decision per entry; written by COPY per chunk, replaced whole on re-route.
CREATE TABLE routes (
  list_id   bigint NOT NULL,
  seq       int NOT NULL,
  member_id text,
  state     text NOT NULL CHECK (state IN ('delivered', 'returned')),
  reason    text CHECK (reason IN ('no_member', 'member_inactive', 'non_routable', 'not_our_address')),
  PRIMARY KEY (list_id, seq),
  CHECK ((state = 'delivered') = (member_id IS NOT NULL AND reason IS NULL))
);
CREATE INDEX routes_member_idx ON routes (list_id, member_id);

CREATE TABLE route_chunks (
  list_id bigint NOT NULL,
  run     int NOT NULL,
  chunk   int NOT NULL,
  done_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (list_id, run, chunk)
);

CREATE TABLE batches (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id             bigint NOT NULL REFERENCES lists (id),
  member_id           text NOT NULL REFERENCES members (id),
  entries             int NOT NULL,
  state               text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'notified', 'downloaded', 'closed')),
  due_at              timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  notified_at         timestamptz,
  first_downloaded_at timestamptz,
  closed_at           timestamptz,
  UNIQUE (list_id, member_id)
);
CREATE INDEX batches_member_idx ON batches (member_id);

CREATE TABLE deliveries (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  batch_id   bigint NOT NULL REFERENCES batches (id),
  channel    text NOT NULL CHECK (channel IN ('email', 'webhook', 'test')),
  kind       text NOT NULL DEFAULT 'ready' CHECK (kind IN ('ready', 'reminder')),
  attempt    int NOT NULL,
  recipients text[] NOT NULL DEFAULT '{}',
  status     text NOT NULL CHECK (status IN ('sent', 'failed')),
  response   text,
  message_id text,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_batch_idx ON deliveries (batch_id);

-- Every report an ISP made, oldest first; the latest per entry is the current outcome.
CREATE TABLE outcomes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id    bigint NOT NULL,
  batch_id    bigint NOT NULL REFERENCES batches (id),
  member_id   text NOT NULL REFERENCES members (id),
  outcome     text NOT NULL CHECK (outcome IN ('notified', 'not_identified', 'not_our_address', 'duplicate', 'declined')),
  notified_at timestamptz,
  channel     text,
  note        text,
  reported_by text,
  reported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outcomes_entry_idx ON outcomes (entry_id, id DESC);
CREATE INDEX outcomes_batch_idx ON outcomes (batch_id);

-- Append-only; each row's hash covers the previous row's hash (see audit.ts).
CREATE TABLE audit_events (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text NOT NULL,
  action    text NOT NULL,
  object    text,
  details   jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL,
  hash      text NOT NULL UNIQUE
);
