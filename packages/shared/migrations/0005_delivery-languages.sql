-- A member's e-mail language: 'both' (Japanese first, then English) is what every member got
-- before the setting was read, so it becomes the default and existing members keep it.
-- Set 'ja' or 'en' for a member that wants one language only.
ALTER TABLE members ALTER COLUMN language SET DEFAULT 'both';
UPDATE members SET language = 'both' WHERE language = 'ja';
