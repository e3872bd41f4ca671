-- Discovery: full-text search, nearby search, meeting times and sort keys.
-- The derived columns are written by the application with every write
-- (`next_meeting_at` NULL means "not computed yet": rows written before this
-- migration are filled in at start-up); the full-text vectors are kept by
-- triggers, so every write, sync and delete updates them in the same statement.

-- Great-circle distance in km (haversine, mean Earth radius); the SQLite
-- connections register the same function, written the same way, in Rust.
CREATE FUNCTION circles_distance_km(lat1 DOUBLE PRECISION, lon1 DOUBLE PRECISION,
                                    lat2 DOUBLE PRECISION, lon2 DOUBLE PRECISION)
RETURNS DOUBLE PRECISION LANGUAGE SQL IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 2.0 * 6371.0088 * asin(least(1.0, sqrt(
        sin(radians(lat2 - lat1) / 2.0) * sin(radians(lat2 - lat1) / 2.0)
        + cos(radians(lat1)) * cos(radians(lat2))
          * sin(radians(lon2 - lon1) / 2.0) * sin(radians(lon2 - lon1) / 2.0))))
$$;

-- Groups ---------------------------------------------------------------------
ALTER TABLE support_groups ADD COLUMN search_topics TEXT;
ALTER TABLE support_groups ADD COLUMN name_key TEXT COLLATE "C";
ALTER TABLE support_groups ADD COLUMN geo_lat DOUBLE PRECISION;
ALTER TABLE support_groups ADD COLUMN geo_lon DOUBLE PRECISION;
ALTER TABLE support_groups ADD COLUMN next_meeting_at TIMESTAMP;
ALTER TABLE support_groups ADD COLUMN search_vector tsvector;

CREATE INDEX support_groups_search ON support_groups USING GIN (search_vector);
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

CREATE TABLE group_meeting_slots (
    group_id TEXT NOT NULL REFERENCES support_groups(id) ON DELETE CASCADE,
    weekday SMALLINT NOT NULL,
    start_minute INTEGER NOT NULL,
    end_minute INTEGER NOT NULL,
    PRIMARY KEY (group_id, weekday, start_minute, end_minute)
);
CREATE INDEX group_meeting_slots_value ON group_meeting_slots(weekday, start_minute, end_minute, group_id);

-- Name first (A), then summary and topics (B), then description and the
-- organization's name (C). Only published, live listings are indexed.
CREATE FUNCTION support_groups_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.deleted_at IS NULL THEN
        NEW.search_vector :=
            setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.summary, '') || ' ' || coalesce(NEW.search_topics, '')), 'B')
            || setweight(to_tsvector('english', coalesce(NEW.description, '') || ' '
                || coalesce((SELECT name FROM organizations WHERE id = NEW.organization_id), '')), 'C');
    ELSE
        NEW.search_vector := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER support_groups_search_vector BEFORE INSERT OR UPDATE OF
    name, summary, description, search_topics, status, deleted_at, organization_id
    ON support_groups FOR EACH ROW EXECUTE FUNCTION support_groups_search_vector();

-- Events ---------------------------------------------------------------------
ALTER TABLE events ADD COLUMN search_topics TEXT;
ALTER TABLE events ADD COLUMN search_vector tsvector;
CREATE INDEX events_search ON events USING GIN (search_vector);

CREATE FUNCTION events_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.listing_status = 'published' AND NEW.deleted_at IS NULL THEN
        NEW.search_vector :=
            setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.summary, '') || ' ' || coalesce(NEW.search_topics, '')), 'B')
            || setweight(to_tsvector('english', coalesce(NEW.description, '') || ' '
                || coalesce((SELECT name FROM organizations WHERE id = NEW.organization_id), '')), 'C');
    ELSE
        NEW.search_vector := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER events_search_vector BEFORE INSERT OR UPDATE OF
    name, summary, description, search_topics, listing_status, deleted_at, organization_id
    ON events FOR EACH ROW EXECUTE FUNCTION events_search_vector();

-- Resources ------------------------------------------------------------------
ALTER TABLE resources ADD COLUMN search_topics TEXT;
ALTER TABLE resources ADD COLUMN search_vector tsvector;
CREATE INDEX resources_search ON resources USING GIN (search_vector);

CREATE FUNCTION resources_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.deleted_at IS NULL THEN
        NEW.search_vector :=
            setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.summary, '') || ' ' || coalesce(NEW.search_topics, '')), 'B')
            || setweight(to_tsvector('english',
                coalesce((SELECT name FROM organizations WHERE id = NEW.organization_id), '')), 'C');
    ELSE
        NEW.search_vector := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER resources_search_vector BEFORE INSERT OR UPDATE OF
    name, summary, search_topics, status, deleted_at, organization_id
    ON resources FOR EACH ROW EXECUTE FUNCTION resources_search_vector();

-- Existing rows are indexed now; their topic labels and other derived
-- columns are filled in at start-up (which touches them again).
UPDATE support_groups SET name = name;
UPDATE events SET name = name;
UPDATE resources SET name = name;
