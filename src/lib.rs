//! Circles: an open directory API for mental-health peer support.
//!
//! `main.rs` only calls [`cli::main`]; [`startup::Application`] builds the
//! service so that tests can spawn it.

pub mod auth;
pub mod cache;
pub mod calendar;
pub mod changelog;
pub mod changes;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod geo;
pub mod groups;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod listing;
pub mod maintenance;
pub mod merge;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod organizations;
pub mod pagination;
pub mod ratelimit;
pub mod recurrence;
pub mod resources;
pub mod search;
pub mod seed;
pub mod shape;
pub mod startup;
pub mod state;
pub mod taxonomies;
pub mod validate;
pub mod vocab;
