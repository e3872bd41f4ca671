-- Events (dated happenings, optionally recurring and tied to a group) and
-- resources (links a partner recommends).
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    group_id TEXT REFERENCES support_groups(id),
    external_id TEXT,
    name TEXT NOT NULL,
    summary TEXT,
    description TEXT,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    timezone TEXT NOT NULL,
    rrule TEXT,
    exdates TEXT NOT NULL DEFAULT '[]',
    first_start_utc TIMESTAMP NOT NULL,
    last_end_utc TIMESTAMP,
    format TEXT NOT NULL,
    location_visibility TEXT,
    location_name TEXT,
    street_address TEXT,
    locality TEXT,
    region TEXT,
    postal_code TEXT,
    country TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    online_platform TEXT,
    online_join_url TEXT,
    online_join_visibility TEXT,
    online_instructions TEXT,
    registration_url TEXT,
    cost_kind TEXT NOT NULL,
    cost_amount TEXT,
    cost_currency TEXT,
    capacity INTEGER,
    status TEXT NOT NULL,
    listing_status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX events_external_id ON events(organization_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX events_public ON events(listing_status, first_start_utc) WHERE deleted_at IS NULL;
CREATE INDEX events_organization ON events(organization_id, id);
CREATE INDEX events_group ON events(group_id);

CREATE TABLE event_topics (
    event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    PRIMARY KEY (event_id, topic)
);
CREATE INDEX event_topics_value ON event_topics(topic, event_id);

CREATE TABLE resources (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    external_id TEXT,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT,
    phone TEXT,
    country TEXT,
    crisis BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX resources_external_id ON resources(organization_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX resources_public ON resources(status, crisis, id) WHERE deleted_at IS NULL;
CREATE INDEX resources_organization ON resources(organization_id, id);

CREATE TABLE resource_topics (
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    PRIMARY KEY (resource_id, topic)
);
CREATE INDEX resource_topics_value ON resource_topics(topic, resource_id);

CREATE TABLE resource_languages (
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    PRIMARY KEY (resource_id, language)
);
CREATE INDEX resource_languages_value ON resource_languages(language, resource_id);
