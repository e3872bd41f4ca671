DROP SEQUENCE circles_data_version;
