-- The public list's default order (oldest first) gets a partial index like
-- the other sorts (see the SQLite migration for why the old one went).
DROP INDEX support_groups_public;
CREATE INDEX support_groups_by_created ON support_groups(id)
    WHERE status = 'published' AND deleted_at IS NULL;

-- Keyword results are ordered by relevance tier, then by the order listings
-- entered the directory: `search_rowid`, as on SQLite (where it is the
-- full-text rowid). Existing rows are numbered in the order they were made.
ALTER TABLE support_groups ADD COLUMN search_rowid BIGINT;
UPDATE support_groups g SET search_rowid = n.rn
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS rn FROM support_groups) n
 WHERE n.id = g.id;
CREATE SEQUENCE support_groups_search_rowid_seq OWNED BY support_groups.search_rowid;
SELECT setval('support_groups_search_rowid_seq', COALESCE((SELECT MAX(search_rowid) FROM support_groups), 0) + 1, false);
ALTER TABLE support_groups ALTER COLUMN search_rowid SET DEFAULT nextval('support_groups_search_rowid_seq');
ALTER TABLE support_groups ALTER COLUMN search_rowid SET NOT NULL;
CREATE UNIQUE INDEX support_groups_search_rowid ON support_groups(search_rowid);
