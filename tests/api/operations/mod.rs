//! Operations: health probes, metrics, the OpenAPI document and the
//! documentation page.

mod docs;
mod health;
mod metrics;
mod openapi;
