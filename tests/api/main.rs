//! Black-box tests of the Circles API: each test spawns the service on a
//! random port over its own database (PostgreSQL when `TEST_DATABASE_URL` is
//! set, SQLite otherwise) and talks HTTP to it.
//!
//! One folder per resource, files named by endpoint or operation;
//! `cross_cutting/` holds what spans endpoints. See README.md.

mod auth;
mod calendars;
mod changes;
mod cross_cutting;
mod events;
mod groups;
mod helpers;
mod operations;
mod organizations;
mod resources;
mod seed;
mod sync;
mod taxonomies;
