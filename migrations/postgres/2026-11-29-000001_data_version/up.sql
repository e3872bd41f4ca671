-- The version of the data public reads show, shared by every instance: a
-- write's answer goes out only after it is bumped (nextval, after the
-- commit), and an instance checks it before answering from its response
-- cache. A sequence takes no row lock, so concurrent writers never queue on it.
CREATE SEQUENCE circles_data_version;
