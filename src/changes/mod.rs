//! The change feed, `GET /v1/changes`: the change log (`crate::changelog`)
//! rendered as public reads show each listing, or as tombstones.

pub mod handlers;

pub use handlers::configure;
