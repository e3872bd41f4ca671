//! `circles seed`: the built binary fills fresh databases (SQLite always,
//! PostgreSQL too when `TEST_DATABASE_URL` is set) with deterministic, varied
//! synthetic data, and loads the demo directory once.

mod demo;
mod support;
mod synthetic;
