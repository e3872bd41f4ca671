//! Organizations (`/v1/organizations`) and their API clients
//! (`/v1/organizations/{id}/clients`, `/v1/clients/{id}`). Paging of the list
//! is in `cross_cutting/pagination.rs`, tenancy in `cross_cutting/tenancy.rs`.

mod clients;
mod update;
