-- Column profiles defined per source (issue 3): a source whose files have their own header
-- names gets a profile once, and its lists are read with it by name or automatically.
-- `definition` follows ProfileSchema in packages/ingest/src/profile.ts.
CREATE TABLE ingest_profiles (
  source_id  text NOT NULL REFERENCES sources (id),
  name       text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.-]*$'),
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_id, name)
);

-- How a list was read (container/encoding/layout and profile), e.g. `zip(a.csv)/cp932/csv(,) profile=generic`:
-- shown with the list so a coordinator can see why a column was or was not found.
ALTER TABLE lists ADD COLUMN read_as text;
