//! Bulk sync, `POST /v1/sync/{groups|events|resources}`, on the sync engine
//! that serves every kind of listing (`crate::listing::sync`).

pub mod handlers;

pub use handlers::configure;
