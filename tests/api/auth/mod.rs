//! Authentication: bearer tokens on protected routes, the token endpoint
//! (`POST /v1/auth/token`) and the signing keys.

mod bearer;
mod keys;
mod support;
mod token;
