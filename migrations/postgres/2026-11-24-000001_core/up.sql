-- Core tables: organizations, their API clients, support groups and their
-- multi-valued attributes (join tables so that every filter can use an index).
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT,
    website TEXT,
    social_links TEXT NOT NULL DEFAULT '[]',
    contact_email TEXT,
    contact_phone TEXT,
    contact_public BOOLEAN NOT NULL DEFAULT FALSE,
    area_served TEXT,
    verified BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE api_clients (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    secret_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_clients_organization ON api_clients(organization_id);

CREATE TABLE support_groups (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    external_id TEXT,
    name TEXT NOT NULL,
    summary TEXT,
    description TEXT,
    format TEXT NOT NULL,
    enrollment TEXT NOT NULL,
    cohort_starts_on DATE,
    cohort_ends_on DATE,
    facilitation TEXT NOT NULL,
    schedule_rrule TEXT,
    schedule_starts_at TIMESTAMP,
    schedule_timezone TEXT,
    schedule_duration_minutes INTEGER,
    audience TEXT NOT NULL DEFAULT '[]',
    cost_kind TEXT NOT NULL,
    cost_amount TEXT,
    cost_currency TEXT,
    capacity INTEGER,
    accepting_new_members BOOLEAN NOT NULL,
    accessibility TEXT,
    confidentiality_policy TEXT,
    anonymous_participation BOOLEAN NOT NULL,
    content_notes TEXT NOT NULL DEFAULT '[]',
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
    contact_email TEXT,
    contact_phone TEXT,
    contact_url TEXT,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX support_groups_external_id ON support_groups(organization_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX support_groups_public ON support_groups(status, id) WHERE deleted_at IS NULL;
CREATE INDEX support_groups_organization ON support_groups(organization_id, id);
CREATE INDEX support_groups_format ON support_groups(format, id);
CREATE INDEX support_groups_updated ON support_groups(updated_at);

CREATE TABLE group_topics (
    group_id TEXT NOT NULL REFERENCES support_groups(id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    PRIMARY KEY (group_id, topic)
);
CREATE INDEX group_topics_value ON group_topics(topic, group_id);

CREATE TABLE group_languages (
    group_id TEXT NOT NULL REFERENCES support_groups(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    PRIMARY KEY (group_id, language)
);
CREATE INDEX group_languages_value ON group_languages(language, group_id);

CREATE TABLE group_recovery_stages (
    group_id TEXT NOT NULL REFERENCES support_groups(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    PRIMARY KEY (group_id, stage)
);
CREATE INDEX group_recovery_stages_value ON group_recovery_stages(stage, group_id);

CREATE TABLE group_support_types (
    group_id TEXT NOT NULL REFERENCES support_groups(id) ON DELETE CASCADE,
    support_type TEXT NOT NULL,
    PRIMARY KEY (group_id, support_type)
);
CREATE INDEX group_support_types_value ON group_support_types(support_type, group_id);
