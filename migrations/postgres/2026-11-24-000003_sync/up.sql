-- The change log (appended in the same transaction as every change), its
-- horizon (cursors before it can no longer be served), and idempotency keys.
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX changes_entity ON changes(entity_id, seq);

CREATE TABLE change_horizon (
    id INTEGER PRIMARY KEY NOT NULL,
    min_seq BIGINT NOT NULL
);
INSERT INTO change_horizon (id, min_seq) VALUES (1, 0);

CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    completed BOOLEAN NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    location TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

-- Listings that existed before the log: one entry each, oldest change first.
INSERT INTO changes (entity_type, entity_id, organization_id, changed_at)
SELECT entity_type, id, organization_id, updated_at FROM (
    SELECT 'group' AS entity_type, id, organization_id, updated_at FROM support_groups
    UNION ALL SELECT 'event', id, organization_id, updated_at FROM events
    UNION ALL SELECT 'resource', id, organization_id, updated_at FROM resources
) AS existing ORDER BY updated_at, id;
