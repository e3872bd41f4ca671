//! The change feed (`GET /v1/changes`): a mirror that follows only the feed
//! ends with exactly the public directory, through a long random sequence of
//! writes, under concurrent writers, and after old entries are pruned.

mod concurrent_writes;
mod mirror;
mod pruning;
mod queries;
mod support;
