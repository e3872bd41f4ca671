//! Resource endpoints: public reads and the owning organization's writes.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::queries::{self, Resource, ResourceFilter};
use crate::auth::{Authenticated, MaybeAuthenticated};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{str_list, vocab_list, JsonBody, Query, RawBody};
use crate::http::{read_response, resource};
use crate::listing::{handlers, store};
use crate::pagination::{next_link, split_page, PageRequest};
use crate::state::AppState;
use crate::vocab::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/resources/by-external-id/{external_id}", "PUT")
            .route(web::put().to(put_resource_by_external_id)),
    )
    .service(
        resource("/resources", "GET, HEAD, POST")
            .route(web::get().to(list_resources))
            .route(web::post().to(create_resource)),
    )
    .service(
        resource("/resources/{id}", "GET, HEAD, PUT, PATCH, DELETE")
            .route(web::get().to(get_resource))
            .route(web::put().to(replace_resource))
            .route(web::patch().to(update_resource))
            .route(web::delete().to(delete_resource)),
    );
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_resources,
    create_resource,
    get_resource,
    replace_resource,
    update_resource,
    delete_resource,
    put_resource_by_external_id
))]
pub struct Api;

/// Filters of the resource list. A comma-separated value means "any of";
/// different filters combine with AND.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResourceListQuery {
    /// Kinds of resource, any of.
    #[param(value_type = Option<Vec<ResourceKind>>, style = Form, explode = false, example = "hotline,guide")]
    pub kind: Option<String>,
    /// Topics, any of.
    #[param(value_type = Option<Vec<Topic>>, style = Form, explode = false, example = "grief,trauma")]
    pub topic: Option<String>,
    /// BCP 47 language tags, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "en,es")]
    pub language: Option<String>,
    /// Organization ids or slugs, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "friends-of-ash")]
    pub organization: Option<String>,
    /// ISO 3166-1 alpha-2 country codes, any of. Resources that serve one of
    /// these countries are returned, and so are those that serve anywhere.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "GB,IE")]
    pub country: Option<String>,
    /// Only crisis resources (`true`) or only the others (`false`).
    #[param(example = true)]
    pub crisis: Option<bool>,
    /// Keywords, searched in the name, summary, topics and the
    /// organization's name (English stemming; the last word may be the start
    /// of a word). Crisis resources still come first, then the best matches.
    #[param(max_length = 200, example = "helpline")]
    pub q: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl ResourceListQuery {
    fn filter(&self) -> Result<ResourceFilter, ApiError> {
        let nonempty = |v: Option<Vec<String>>| v.filter(|l| !l.is_empty());
        let countries = nonempty(str_list(self.country.as_deref()))
            .map(|l| {
                l.iter()
                    .map(|c| {
                        let c = c.to_ascii_uppercase();
                        if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
                            Ok(c)
                        } else {
                            Err(ApiError::InvalidQuery(FieldError::new(
                                "country",
                                "must be ISO 3166-1 alpha-2 country codes such as `GB`",
                            )))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(ResourceFilter {
            kinds: vocab_list("kind", self.kind.as_deref())?.filter(|l| !l.is_empty()),
            topics: vocab_list("topic", self.topic.as_deref())?.filter(|l| !l.is_empty()),
            languages: nonempty(str_list(self.language.as_deref())).map(|l| {
                l.iter()
                    .map(|t| crate::validate::normalize_language(t))
                    .collect()
            }),
            organizations: nonempty(str_list(self.organization.as_deref())),
            countries,
            crisis: self.crisis,
            keywords: self
                .q
                .as_deref()
                .map(crate::search::Keywords::parse)
                .transpose()?
                .flatten(),
        })
    }
}

/// List published resources.
///
/// Links partner organizations recommend: articles, guides, helplines and
/// more. Crisis resources come first, then the others, oldest first.
#[utoipa::path(
    get, path = "/v1/resources", tag = "resources", operation_id = "listResources",
    summary = "List and filter published resources",
    params(("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer; if it still matches, the answer is `304 Not Modified` with no body"), ResourceListQuery),
    responses(
        (status = 304, description = "Not modified: your `If-None-Match` still matches"),
        (status = 200, description = "A page of resources, crisis resources first", body = ResourcePage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"),
                    ("Cache-Control" = String, description = "Public caching directives"))),
        (status = 400, description = "Invalid filter value, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn list_resources(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<ResourceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.0.filter()?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let limit = page.limit;
    let (data, next_cursor) = state
        .db(move |conn| {
            let hits = queries::list_public(conn, &filter, &page)?;
            let (hits, next) = split_page(hits, limit, |h| h.cursor());
            let rows: Vec<_> = hits.into_iter().map(|h| h.resource).collect();
            Ok((store::responses::<Resource>(conn, &rows, |_| false)?, next))
        })
        .await?;
    let mut res = read_response(state.config.cache_max_age, false);
    if let Some(c) = &next_cursor {
        res.insert_header((
            header::LINK,
            next_link(&req, state.config.public_url.as_deref(), c),
        ));
    }
    Ok(res.json(ResourcePage { data, next_cursor }))
}

/// Get a resource.
///
/// Published resources are public. With a token, an organization also sees
/// its own drafts and archived resources.
#[utoipa::path(
    get, path = "/v1/resources/{id}", tag = "resources", operation_id = "getResource",
    summary = "Get a resource",
    params(("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer; if it still matches, the answer is `304 Not Modified` with no body"), ("id" = String, Path, description = "The resource id (UUID)", example = "0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f02")),
    responses(
        (status = 304, description = "Not modified: your `If-None-Match` still matches"),
        (status = 200, description = "The resource", body = ResourceResponse,
            headers(("Cache-Control" = String, description = "Public caching directives, or `private, no-store` with a token"))),
    ),
    security((), ("bearer" = []))
)]
pub async fn get_resource(
    state: web::Data<AppState>,
    path: web::Path<String>,
    caller: MaybeAuthenticated,
) -> Result<HttpResponse, ApiError> {
    handlers::get::<Resource>(state, path, caller).await
}

/// Create a resource.
///
/// The resource belongs to the token's organization. It starts as a `draft`
/// unless `status` says otherwise; publish it with
/// `PATCH /v1/resources/{id}` and `{"status": "published"}`.
#[utoipa::path(
    post, path = "/v1/resources", tag = "resources", operation_id = "createResource",
    summary = "Create a resource",
    params(("Idempotency-Key" = Option<String>, Header, description = "A unique key (a UUID) that makes retrying this request safe: the same key with the same body returns the first answer without creating again; with another body, 422; while the first is still running, 409. Kept at least 24 hours.", example = "5b4f0c1e-6a4e-4d0c-9a57-0d3c2f1b7e21")),
    request_body = ResourceWrite,
    responses(
        (status = 201, description = "Created", body = ResourceResponse,
            headers(("Location" = String, description = "URL of the new resource"))),
        (status = 409, description = "`external_id` already used by another of your resources, or a request with the same `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_resource(
    state: web::Data<AppState>,
    req: HttpRequest,
    Authenticated(caller): Authenticated,
    JsonBody(body): JsonBody<ResourceWrite>,
) -> Result<HttpResponse, ApiError> {
    handlers::create::<Resource>(state, req, caller, body).await
}

/// Replace a resource.
///
/// Sends the whole resource; fields left out take their defaults.
#[utoipa::path(
    put, path = "/v1/resources/{id}", tag = "resources", operation_id = "replaceResource",
    summary = "Replace a resource",
    params(("If-Match" = Option<String>, Header, description = "The `ETag` of the version you edited; if the listing has changed since, the answer is `412 Precondition Failed` and nothing is written"), ("id" = String, Path, description = "The resource id (UUID)")),
    request_body = ResourceWrite,
    responses(
        (status = 200, description = "Replaced", body = ResourceResponse),
    ),
    security(("bearer" = []))
)]
pub async fn replace_resource(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
    JsonBody(body): JsonBody<ResourceWrite>,
) -> Result<HttpResponse, ApiError> {
    handlers::replace::<Resource>(state, req, path, caller, body).await
}

/// Update a resource (JSON Merge Patch).
///
/// Send only what changes; `null` clears an optional field. The result is
/// validated like a full write. Publish with `{"status": "published"}`.
#[utoipa::path(
    patch, path = "/v1/resources/{id}", tag = "resources", operation_id = "updateResource",
    summary = "Update a resource",
    params(("If-Match" = Option<String>, Header, description = "The `ETag` of the version you edited; if the listing has changed since, the answer is `412 Precondition Failed` and nothing is written"), ("id" = String, Path, description = "The resource id (UUID)")),
    request_body(content = ResourceWrite, content_type = "application/merge-patch+json",
        example = json!({"status": "published"})),
    responses(
        (status = 200, description = "Updated", body = ResourceResponse),
    ),
    security(("bearer" = []))
)]
pub async fn update_resource(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    handlers::update::<Resource>(state, req, path, caller, body).await
}

/// Create or replace one of your resources by your own id.
///
/// The body is a full write; `external_id` may be left out (the path
/// gives it). Sending the same body again changes nothing: the answer
/// is `200` with the listing, its `version` and `updated_at` unchanged,
/// and no change-feed entry.
#[utoipa::path(
    put, path = "/v1/resources/by-external-id/{external_id}", tag = "sync", operation_id = "upsertResourceByExternalId",
    summary = "Upsert a resource by external id",
    params(
        ("external_id" = String, Path, description = "Your own identifier for the listing", example = "grief-tue"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the version you edited; if the listing has changed since (or does not exist), the answer is `412` and nothing is written"),
    ),
    request_body = ResourceWrite,
    responses(
        (status = 200, description = "Replaced, or unchanged", body = ResourceResponse),
        (status = 201, description = "Created", body = ResourceResponse,
            headers(("Location" = String, description = "URL of the new listing"))),
        (status = 400, description = "Malformed JSON or path", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` names an older version, or there is no such listing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_resource_by_external_id(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    handlers::upsert::<Resource>(state, req, path, caller, body).await
}

/// Delete a resource.
///
/// The resource disappears from every read at once; its `external_id` may be
/// used again.
#[utoipa::path(
    delete, path = "/v1/resources/{id}", tag = "resources", operation_id = "deleteResource",
    summary = "Delete a resource",
    params(("If-Match" = Option<String>, Header, description = "The `ETag` of the version you edited; if the listing has changed since, the answer is `412 Precondition Failed` and nothing is written"), ("id" = String, Path, description = "The resource id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_resource(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, ApiError> {
    handlers::delete::<Resource>(state, req, path, caller).await
}
