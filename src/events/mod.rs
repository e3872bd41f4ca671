//! Events: dated happenings, optionally repeating and tied to a group.

pub mod dto;
pub mod handlers;
pub mod queries;

pub use handlers::configure;
