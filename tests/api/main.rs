//! One test binary: black-box tests over HTTP against a spawned server.

mod helpers;
mod resources;
mod taxonomies;
