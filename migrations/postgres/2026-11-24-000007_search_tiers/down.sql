DROP INDEX support_groups_search_head;
DROP INDEX support_groups_search_name;
