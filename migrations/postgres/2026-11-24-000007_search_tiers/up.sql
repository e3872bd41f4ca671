-- Keyword relevance tiers (every word in the name; in the name, summary or
-- topics; anywhere) as indexes of their own, so that the planner knows how
-- rare a tier's words are: with one index over every weight, a two-word
-- search whose words are rarely both in a name walked every group in
-- listing order (86 ms at 100k groups).
CREATE INDEX support_groups_search_name ON support_groups
    USING GIN (ts_filter(search_vector, '{a}'));
CREATE INDEX support_groups_search_head ON support_groups
    USING GIN (ts_filter(search_vector, '{a,b}'));
