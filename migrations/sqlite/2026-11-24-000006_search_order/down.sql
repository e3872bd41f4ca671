DROP INDEX support_groups_by_created;
CREATE INDEX support_groups_public ON support_groups(status, id) WHERE deleted_at IS NULL;
