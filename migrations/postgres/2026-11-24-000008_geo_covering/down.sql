DROP INDEX support_groups_geo;
CREATE INDEX support_groups_geo ON support_groups(geo_lat, geo_lon)
    WHERE status = 'published' AND deleted_at IS NULL AND geo_lat IS NOT NULL;
