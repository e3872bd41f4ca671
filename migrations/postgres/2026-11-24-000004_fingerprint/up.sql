-- A fingerprint of each group's stored values, so that a sync can tell an
-- unchanged group from one query per batch.
ALTER TABLE support_groups ADD COLUMN content_hash TEXT;
