-- The deployment's identity: which database the queued jobs belong to. One row, a random id made
-- once; the effective identity also includes the database's oid (pg_database), so a database
-- copied from another (CREATE DATABASE … TEMPLATE, as the tests do) is a deployment of its own.
CREATE TABLE deployment (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  id text NOT NULL DEFAULT substr(md5(random()::text || clock_timestamp()::text), 1, 10),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO deployment DEFAULT VALUES;
