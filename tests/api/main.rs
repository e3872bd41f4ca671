//! Black-box tests of the Circles API: each test spawns the service on a
//! random port over its own database (PostgreSQL when `TEST_DATABASE_URL` is
//! set, SQLite otherwise) and talks HTTP to it.

mod auth;
mod calendar;
mod changes;
mod concurrency;
mod crash;
mod discovery;
mod events;
mod fuzz_findings;
mod helpers;
mod idempotency;
mod merge_patch;
mod occurrences;
mod openapi;
mod operations;
mod pagination;
mod preconditions;
mod resources;
mod schedule_limits;
mod seed;
mod sync;
mod taxonomies;
mod tenancy;
mod validation;
mod visibility;
mod walkthrough;
