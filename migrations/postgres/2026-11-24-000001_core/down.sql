DROP TABLE group_support_types;
DROP TABLE group_recovery_stages;
DROP TABLE group_languages;
DROP TABLE group_topics;
DROP TABLE support_groups;
DROP TABLE api_clients;
DROP TABLE organizations;
