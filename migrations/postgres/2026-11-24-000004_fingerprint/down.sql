ALTER TABLE support_groups DROP COLUMN content_hash;
