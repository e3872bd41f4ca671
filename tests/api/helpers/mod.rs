//! Test harness: spawn the service on a random port over a fresh database
//! (PostgreSQL when `TEST_DATABASE_URL` is set, SQLite otherwise), bootstrap
//! organizations and API clients through the library, get tokens over HTTP,
//! forge JWTs and build request bodies.
//!
//! Every item of the modules below is re-exported here, so tests import
//! `crate::helpers::{...}` whatever file a helper lives in. Two readers used by
//! several folders are reached by path instead: `helpers::ics` (iCalendar
//! feeds) and `helpers::series` (dates and expected occurrences).

#![allow(dead_code)]

mod app;
mod bodies;
mod database;
mod listings;
mod mirror;
mod orgs;
mod requests;
mod rng;

pub mod ics;
pub mod series;

pub use app::*;
pub use bodies::*;
pub use database::*;
pub use listings::*;
pub use mirror::*;
pub use orgs::*;
pub use requests::*;
pub use rng::*;
