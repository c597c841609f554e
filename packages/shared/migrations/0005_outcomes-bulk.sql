-- Outcomes are a bulk table (one row per entry per report): like entries and routes (see 0001),
-- they carry no foreign keys, which fired two referential triggers per row and made a 100,000-row
-- outcome upload spend most of its time in them. recordOutcomes keeps the integrity instead: it
-- stores only entries found in the batch's own rows, under the batch's row lock, for the batch's member.
ALTER TABLE outcomes DROP CONSTRAINT IF EXISTS outcomes_batch_id_fkey;
ALTER TABLE outcomes DROP CONSTRAINT IF EXISTS outcomes_member_id_fkey;
