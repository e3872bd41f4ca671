//! Support groups: the heart of the directory.

pub mod dto;
pub mod handlers;
pub mod queries;
pub mod search;

pub use handlers::configure;
