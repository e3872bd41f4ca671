//! Support groups: the heart of the directory.

pub mod derived;
pub mod dto;
pub mod filters;
pub mod handlers;
pub mod meetings;
pub mod queries;
pub mod row;
pub mod search;

/// Routes of `/v1/groups`, and of a group's events and meetings.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    handlers::configure(cfg);
    meetings::configure(cfg);
}
