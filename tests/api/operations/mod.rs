//! Operations: health probes, the OpenAPI document and the documentation page.

mod docs;
mod health;
mod openapi;
