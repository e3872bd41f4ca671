-- Discovery: full-text search, nearby search, meeting times and sort keys.
-- The derived columns are written by the application with every write
-- (`next_meeting_at` NULL means "not computed yet": rows written before this
-- migration are filled in at start-up); the full-text index is kept by
-- triggers, so every write, sync and delete updates it in the same statement.

-- Groups ---------------------------------------------------------------------
ALTER TABLE support_groups ADD COLUMN search_topics TEXT;      -- topic labels
ALTER TABLE support_groups ADD COLUMN name_key TEXT;           -- lowercase name (sort)
ALTER TABLE support_groups ADD COLUMN geo_lat DOUBLE PRECISION;   -- public placement
ALTER TABLE support_groups ADD COLUMN geo_lon DOUBLE PRECISION;
ALTER TABLE support_groups ADD COLUMN next_meeting_at TIMESTAMP;  -- 9999-12-31: none
ALTER TABLE support_groups ADD COLUMN search_rowid INTEGER;    -- stable full-text rowid

CREATE UNIQUE INDEX support_groups_search_rowid ON support_groups(search_rowid);
CREATE INDEX support_groups_geo ON support_groups(geo_lat, geo_lon)
    WHERE status = 'published' AND deleted_at IS NULL AND geo_lat IS NOT NULL;
CREATE INDEX support_groups_by_next_meeting ON support_groups(next_meeting_at, id)
    WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX support_groups_by_name ON support_groups(name_key, id)
    WHERE status = 'published' AND deleted_at IS NULL;
-- Replaces the plain index on updated_at (updated_since and sort=updated).
DROP INDEX support_groups_updated;
CREATE INDEX support_groups_by_updated ON support_groups(updated_at, id)
    WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX support_groups_by_timezone ON support_groups(schedule_timezone, id)
    WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX support_groups_by_cohort ON support_groups(cohort_starts_on, id)
    WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX support_groups_stale_meeting ON support_groups(next_meeting_at)
    WHERE deleted_at IS NULL;

-- When a group meets, in its own time zone: ISO weekday (1 = Monday) and
-- minutes from local midnight; the end may pass 1440 (after midnight).
CREATE TABLE group_meeting_slots (
    group_id TEXT NOT NULL REFERENCES support_groups(id) ON DELETE CASCADE,
    weekday SMALLINT NOT NULL,
    start_minute INTEGER NOT NULL,
    end_minute INTEGER NOT NULL,
    PRIMARY KEY (group_id, weekday, start_minute, end_minute)
);
CREATE INDEX group_meeting_slots_value ON group_meeting_slots(weekday, start_minute, end_minute, group_id);

CREATE VIRTUAL TABLE group_fts USING fts5(
    name, summary, description, topics, organization,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER support_groups_search_rowid AFTER INSERT ON support_groups BEGIN
    UPDATE support_groups
       SET search_rowid = (SELECT COALESCE(MAX(search_rowid), 0) + 1 FROM support_groups)
     WHERE id = NEW.id;
END;

CREATE TRIGGER support_groups_fts AFTER UPDATE OF
    name, summary, description, search_topics, status, deleted_at, organization_id, search_rowid
    ON support_groups BEGIN
    DELETE FROM group_fts WHERE rowid = OLD.search_rowid;
    INSERT INTO group_fts (rowid, name, summary, description, topics, organization)
    SELECT NEW.search_rowid, NEW.name, NEW.summary, NEW.description, NEW.search_topics, o.name
      FROM organizations o
     WHERE o.id = NEW.organization_id AND NEW.search_rowid IS NOT NULL
       AND NEW.status = 'published' AND NEW.deleted_at IS NULL;
END;

CREATE TRIGGER support_groups_fts_delete AFTER DELETE ON support_groups BEGIN
    DELETE FROM group_fts WHERE rowid = OLD.search_rowid;
END;

-- Events ---------------------------------------------------------------------
ALTER TABLE events ADD COLUMN search_topics TEXT;
ALTER TABLE events ADD COLUMN search_rowid INTEGER;
CREATE UNIQUE INDEX events_search_rowid ON events(search_rowid);

CREATE VIRTUAL TABLE event_fts USING fts5(
    name, summary, description, topics, organization,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER events_search_rowid AFTER INSERT ON events BEGIN
    UPDATE events
       SET search_rowid = (SELECT COALESCE(MAX(search_rowid), 0) + 1 FROM events)
     WHERE id = NEW.id;
END;

CREATE TRIGGER events_fts AFTER UPDATE OF
    name, summary, description, search_topics, listing_status, deleted_at, organization_id, search_rowid
    ON events BEGIN
    DELETE FROM event_fts WHERE rowid = OLD.search_rowid;
    INSERT INTO event_fts (rowid, name, summary, description, topics, organization)
    SELECT NEW.search_rowid, NEW.name, NEW.summary, NEW.description, NEW.search_topics, o.name
      FROM organizations o
     WHERE o.id = NEW.organization_id AND NEW.search_rowid IS NOT NULL
       AND NEW.listing_status = 'published' AND NEW.deleted_at IS NULL;
END;

CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    DELETE FROM event_fts WHERE rowid = OLD.search_rowid;
END;

-- Resources ------------------------------------------------------------------
ALTER TABLE resources ADD COLUMN search_topics TEXT;
ALTER TABLE resources ADD COLUMN search_rowid INTEGER;
CREATE UNIQUE INDEX resources_search_rowid ON resources(search_rowid);

CREATE VIRTUAL TABLE resource_fts USING fts5(
    name, summary, topics, organization,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER resources_search_rowid AFTER INSERT ON resources BEGIN
    UPDATE resources
       SET search_rowid = (SELECT COALESCE(MAX(search_rowid), 0) + 1 FROM resources)
     WHERE id = NEW.id;
END;

CREATE TRIGGER resources_fts AFTER UPDATE OF
    name, summary, search_topics, status, deleted_at, organization_id, search_rowid
    ON resources BEGIN
    DELETE FROM resource_fts WHERE rowid = OLD.search_rowid;
    INSERT INTO resource_fts (rowid, name, summary, topics, organization)
    SELECT NEW.search_rowid, NEW.name, NEW.summary, NEW.search_topics, o.name
      FROM organizations o
     WHERE o.id = NEW.organization_id AND NEW.search_rowid IS NOT NULL
       AND NEW.status = 'published' AND NEW.deleted_at IS NULL;
END;

CREATE TRIGGER resources_fts_delete AFTER DELETE ON resources BEGIN
    DELETE FROM resource_fts WHERE rowid = OLD.search_rowid;
END;

-- Existing rows get their rowids now (the triggers index them); their topic
-- labels and other derived columns are filled in at start-up.
UPDATE support_groups SET search_rowid = rowid;
UPDATE events SET search_rowid = rowid;
UPDATE resources SET search_rowid = rowid;
