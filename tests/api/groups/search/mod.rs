//! Discovery on `GET /v1/groups`: keyword search, nearby search, meeting
//! times, cohorts, time zones, sorts, keyed cursors, totals and facets.
//!
//! The property test (`random.rs`) builds a few thousand groups from a seeded
//! generator (`generator.rs`) and checks random query combinations, walking
//! every page, against a brute-force evaluation (`oracle.rs`). The other tests
//! follow the full-text index through every kind of write, check that hidden
//! places never leak, check the query plans, and check the 400s.

mod generator;
mod hidden_places;
mod index;
mod oracle;
mod query_plans;
mod random;
mod refusals;
