-- Nearby search reads every group in the circle to sort them by distance:
-- with the id (for the topic, language, stage and support-type probes) and
-- the status columns in the index, it never reads the groups' rows until
-- the page is chosen (1M groups, 10 km around a city centre: ~200 ms -> a
-- few ms when the smaller circles do not fill a page).
DROP INDEX support_groups_geo;
CREATE INDEX support_groups_geo ON support_groups(geo_lat, geo_lon, id, status, deleted_at)
    WHERE status = 'published' AND deleted_at IS NULL AND geo_lat IS NOT NULL;
