//! Taxonomies (`/v1/taxonomies`): every vocabulary with labels and
//! descriptions, the same values as the OpenAPI enums.

mod get;
mod list;
