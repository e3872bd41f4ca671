-- The public list's default order (oldest first) gets a partial index like
-- the other sorts. The old (status, id) index made SQLite's planner read
-- every published group and sort them for `sort=name` and
-- `sort=next_meeting` (50–90 ms at 100k groups) instead of walking their
-- own indexes (under 0.1 ms). Organizations' own lists use
-- support_groups_organization.
DROP INDEX support_groups_public;
CREATE INDEX support_groups_by_created ON support_groups(id)
    WHERE status = 'published' AND deleted_at IS NULL;
