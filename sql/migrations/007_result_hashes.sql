-- The content hash of each rule result as written (issue 11): a
-- recompute reads the keys and hashes of the stored results to find what
-- changed, not every evidence list and citation (for 1.48M results of a
-- 10M-event province-year, 157 MB read instead of 1.1 GB). Not part of
-- SPEC §5's columns; 0 for rows written before it, whose content is then
-- read and hashed as before.
ALTER TABLE rule_results ADD COLUMN content_hash UInt64 DEFAULT 0;
