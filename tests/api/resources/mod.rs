//! Resources (`/v1/resources`): CRUD, tenancy, drafts, validation, filters and
//! crisis-first keyset pagination.

mod access;
mod crud;
mod list;
mod support;
mod validation;
