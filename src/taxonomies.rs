//! `GET /v1/taxonomies`: every closed vocabulary with a label and a one-line
//! description per value, so apps show the same words. Built from the
//! [`Vocabulary`] definitions in `vocab.rs`, the same source as the OpenAPI
//! enums.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::http::{read_response, resource};
use crate::state::AppState;
use crate::vocab::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/taxonomies", "GET, HEAD").route(web::get().to(list_taxonomies)))
        .service(resource("/taxonomies/{name}", "GET, HEAD").route(web::get().to(get_taxonomy)));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_taxonomies, get_taxonomy))]
pub struct Api;

/// One value of a taxonomy.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[schema(example = json!({"value": "grief", "label": "Grief and loss",
    "description": "For people coping with the death of someone close."}))]
pub struct Term {
    /// The value as written in listings and filters.
    pub value: String,
    /// Short name to show people.
    pub label: String,
    /// One sentence saying what the value means.
    pub description: String,
}

/// A closed vocabulary and its values, in their canonical order.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[schema(example = json!({"name": "formats", "schema": "Format", "values": [
    {"value": "in_person", "label": "In person", "description": "Meets face to face at a physical place."},
    {"value": "online", "label": "Online", "description": "Meets over the internet, so you can join from home."},
    {"value": "hybrid", "label": "Hybrid", "description": "Meets in a room with the option to join online."}]}))]
pub struct Taxonomy {
    /// Machine name, as in `GET /v1/taxonomies/{name}`.
    pub name: String,
    /// Name of the enum schema in the OpenAPI document
    /// (`#/components/schemas/{schema}`) that lists the same values.
    pub schema: String,
    pub values: Vec<Term>,
}

/// Every taxonomy.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxonomyList {
    pub data: Vec<Taxonomy>,
}

fn taxonomy<V: Vocabulary + ToSchema>() -> Taxonomy {
    Taxonomy {
        name: V::NAME.to_owned(),
        schema: <V as ToSchema>::name().into_owned(),
        values: V::all()
            .iter()
            .map(|v| Term {
                value: v.as_str().to_owned(),
                label: v.label().to_owned(),
                description: v.description().to_owned(),
            })
            .collect(),
    }
}

/// Every vocabulary of `vocab.rs`, in a stable order.
pub fn all() -> Vec<Taxonomy> {
    vec![
        taxonomy::<OrganizationKind>(),
        taxonomy::<Topic>(),
        taxonomy::<Format>(),
        taxonomy::<Enrollment>(),
        taxonomy::<Facilitation>(),
        taxonomy::<RecoveryStage>(),
        taxonomy::<SupportType>(),
        taxonomy::<CostKind>(),
        taxonomy::<Visibility>(),
        taxonomy::<ListingStatus>(),
        taxonomy::<EventStatus>(),
        taxonomy::<ResourceKind>(),
    ]
}

/// List the taxonomies.
///
/// Every closed vocabulary of the API (topics, formats, recovery stages,
/// support types …) with a label and a one-line description for each value.
/// The values are exactly those of the enums in this document.
#[utoipa::path(
    get, path = "/v1/taxonomies", tag = "taxonomies", operation_id = "listTaxonomies",
    summary = "List every vocabulary with labels and descriptions",
    responses(
        (status = 200, description = "Every taxonomy", body = TaxonomyList,
            headers(("Cache-Control" = String, description = "Public caching directives"))),
    ),
    security(())
)]
pub async fn list_taxonomies(state: web::Data<AppState>) -> HttpResponse {
    read_response(state.config.cache_max_age, false).json(TaxonomyList { data: all() })
}

/// Get a taxonomy.
///
/// One vocabulary by its machine name, e.g. `topics` or `recovery_stages`.
#[utoipa::path(
    get, path = "/v1/taxonomies/{name}", tag = "taxonomies", operation_id = "getTaxonomy",
    summary = "Get one vocabulary",
    params(("name" = String, Path, description = "Machine name of the taxonomy, as listed by `GET /v1/taxonomies`", example = "topics")),
    responses(
        (status = 200, description = "The taxonomy", body = Taxonomy,
            headers(("Cache-Control" = String, description = "Public caching directives"))),
        (status = 404, description = "No taxonomy of that name", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn get_taxonomy(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let found = all()
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ApiError::not_found("taxonomy"))?;
    Ok(read_response(state.config.cache_max_age, false).json(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The served values and the OpenAPI enums come from one definition; this
    /// fails if a derive ever names the enum values differently.
    #[test]
    fn openapi_enums_match_taxonomies() {
        let doc = crate::openapi::document();
        let taxonomies = all();
        let mut names: Vec<&str> = taxonomies.iter().map(|t| t.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 12);
        for t in &taxonomies {
            let schema = &doc["components"]["schemas"][&t.schema];
            let values: Vec<&str> = t.values.iter().map(|v| v.value.as_str()).collect();
            let listed: Vec<&str> = schema["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("no enum schema {}", t.schema))
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(listed, values, "{}", t.name);
            for v in &t.values {
                assert!(!v.label.is_empty() && !v.description.is_empty());
            }
        }
    }
}
