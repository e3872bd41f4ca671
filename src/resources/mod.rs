//! Resources: links a partner recommends (articles, guides, helplines …).

pub mod dto;
pub mod handlers;
pub mod queries;

pub use handlers::configure;
