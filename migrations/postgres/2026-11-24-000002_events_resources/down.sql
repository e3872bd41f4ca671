DROP TABLE resource_languages;
DROP TABLE resource_topics;
DROP TABLE resources;
DROP TABLE event_topics;
DROP TABLE events;
