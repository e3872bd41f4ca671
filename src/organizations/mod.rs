//! Partner organizations and their API clients.

pub mod dto;
pub mod handlers;
pub mod queries;

pub use handlers::configure;
