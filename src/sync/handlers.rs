//! Bulk sync: `POST /v1/sync/{groups|events|resources}`. (Upserts by
//! external id, `PUT /v1/{kind}/by-external-id/{external_id}`, live with
//! each kind.)

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authenticated, Caller};
use crate::error::{ApiError, Problem};
use crate::events::dto::EventWrite;
use crate::events::queries::Event;
use crate::extract::{Query, RawBodyLimited, MAX_SYNC_BODY_BYTES};
use crate::groups::dto::GroupWrite;
use crate::groups::queries::Group;
use crate::http::resource;
use crate::listing::sync::{bulk, SyncRequest, SyncResult, MAX_SYNC_ITEMS};
use crate::listing::Listing;
use crate::resources::dto::ResourceWrite;
use crate::resources::queries::Resource;
use crate::state::AppState;

type SyncBody = RawBodyLimited<MAX_SYNC_BODY_BYTES>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/sync/groups", "POST").route(web::post().to(sync_groups)))
        .service(resource("/sync/events", "POST").route(web::post().to(sync_events)))
        .service(resource("/sync/resources", "POST").route(web::post().to(sync_resources)));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(sync_groups, sync_events, sync_resources))]
pub struct Api;

/// Whether the whole batch is applied or nothing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// `true`: apply every item or none (a failed item rolls back all and
    /// the answer is 422). Default `false`: valid items are applied even
    /// when others fail.
    #[param(example = false)]
    pub atomic: Option<bool>,
}

async fn sync<L: Listing>(
    state: &AppState,
    caller: Caller,
    atomic: bool,
    body: SyncBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_scope("listings:write")?;
    crate::listing::handlers::require_json(body.content_type.as_deref())?;
    let value: serde_json::Value = crate::extract::parse_json_unchecked(&body.bytes)?;
    crate::shape::require_object(&value)?;
    let req: SyncRequest = crate::extract::from_value_unchecked(value)?;
    let n = req.upsert.len() + req.delete.len();
    if n > MAX_SYNC_ITEMS {
        return Err(ApiError::PayloadTooLarge(format!(
            "a sync takes at most {MAX_SYNC_ITEMS} items (upserts and deletes together); this one has {n}: split it"
        )));
    }
    let org = caller.organization_id;
    let result = state
        .db(move |conn| bulk::<L>(conn, &org, req, atomic))
        .await?;
    let status = if result.applied {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(HttpResponse::build(status).json(result))
}

/// Documentation of a bulk sync of groups.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"upsert": [{"external_id": "grief-tue", "name": "Tuesday grief circle", "topics": ["grief"],
    "format": "online", "facilitation": "peer_led", "online": {"platform": "Jitsi"}, "status": "published"}],
    "delete": ["old-group-7"]}))]
pub struct SyncGroupsRequest {
    /// Groups to create or replace, matched by their `external_id` (required).
    /// Each item is a `GroupWrite`. Items are checked one by one: an item that
    /// does not fit is reported as `failed` in the answer, with its fields,
    /// and does not stop the others (unless `atomic=true`).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub upsert: Vec<GroupWrite>,
    /// `external_id`s of groups to delete.
    #[serde(default)]
    pub delete: Vec<String>,
}

/// Documentation of a bulk sync of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncEventsRequest {
    /// Events to create or replace, matched by their `external_id` (required).
    /// Each item is a `EventWrite`. Items are checked one by one: an item that
    /// does not fit is reported as `failed` in the answer, with its fields,
    /// and does not stop the others (unless `atomic=true`).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub upsert: Vec<EventWrite>,
    /// `external_id`s of events to delete.
    #[serde(default)]
    pub delete: Vec<String>,
}

/// Documentation of a bulk sync of resources.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResourcesRequest {
    /// Resources to create or replace, matched by their `external_id` (required).
    /// Each item is a `ResourceWrite`. Items are checked one by one: an item that
    /// does not fit is reported as `failed` in the answer, with its fields,
    /// and does not stop the others (unless `atomic=true`).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub upsert: Vec<ResourceWrite>,
    /// `external_id`s of resources to delete.
    #[serde(default)]
    pub delete: Vec<String>,
}

/// Sync many groups at once.
///
/// Up to 1,000 items (upserts and deletes together) matched by your
/// `external_id`s. The answer lists each item's outcome in request
/// order: `created`, `updated`, `unchanged`, `deleted`, `not_found`,
/// or `failed` with its problem and field names (prefixed with the
/// item, e.g. `upsert[3].format`). Valid items are applied even when
/// others fail, unless `atomic=true`.
#[utoipa::path(
    post, path = "/v1/sync/groups", tag = "sync", operation_id = "syncGroups",
    summary = "Bulk sync groups",
    params(SyncQuery),
    request_body = SyncGroupsRequest,
    responses(
        (status = 200, description = "Applied; per-item outcomes", body = SyncResult),
        (status = 400, description = "Malformed JSON or query", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 1,000 items, or a body over 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "With `atomic=true`: an item failed and nothing was applied (`application/json`, per-item outcomes); or the body's shape is invalid (`application/problem+json`)", content(
            (SyncResult = "application/json"),
            (Problem = "application/problem+json"),
        )),
    ),
    security(("bearer" = []))
)]
pub async fn sync_groups(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<SyncQuery>,
    body: SyncBody,
) -> Result<HttpResponse, ApiError> {
    sync::<Group>(&state, caller, query.0.atomic.unwrap_or(false), body).await
}

/// Sync many events at once.
///
/// Up to 1,000 items (upserts and deletes together) matched by your
/// `external_id`s. The answer lists each item's outcome in request
/// order: `created`, `updated`, `unchanged`, `deleted`, `not_found`,
/// or `failed` with its problem and field names (prefixed with the
/// item, e.g. `upsert[3].format`). Valid items are applied even when
/// others fail, unless `atomic=true`.
#[utoipa::path(
    post, path = "/v1/sync/events", tag = "sync", operation_id = "syncEvents",
    summary = "Bulk sync events",
    params(SyncQuery),
    request_body = SyncEventsRequest,
    responses(
        (status = 200, description = "Applied; per-item outcomes", body = SyncResult),
        (status = 400, description = "Malformed JSON or query", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 1,000 items, or a body over 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "With `atomic=true`: an item failed and nothing was applied (`application/json`, per-item outcomes); or the body's shape is invalid (`application/problem+json`)", content(
            (SyncResult = "application/json"),
            (Problem = "application/problem+json"),
        )),
    ),
    security(("bearer" = []))
)]
pub async fn sync_events(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<SyncQuery>,
    body: SyncBody,
) -> Result<HttpResponse, ApiError> {
    sync::<Event>(&state, caller, query.0.atomic.unwrap_or(false), body).await
}

/// Sync many resources at once.
///
/// Up to 1,000 items (upserts and deletes together) matched by your
/// `external_id`s. The answer lists each item's outcome in request
/// order: `created`, `updated`, `unchanged`, `deleted`, `not_found`,
/// or `failed` with its problem and field names (prefixed with the
/// item, e.g. `upsert[3].format`). Valid items are applied even when
/// others fail, unless `atomic=true`.
#[utoipa::path(
    post, path = "/v1/sync/resources", tag = "sync", operation_id = "syncResources",
    summary = "Bulk sync resources",
    params(SyncQuery),
    request_body = SyncResourcesRequest,
    responses(
        (status = 200, description = "Applied; per-item outcomes", body = SyncResult),
        (status = 400, description = "Malformed JSON or query", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 1,000 items, or a body over 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "With `atomic=true`: an item failed and nothing was applied (`application/json`, per-item outcomes); or the body's shape is invalid (`application/problem+json`)", content(
            (SyncResult = "application/json"),
            (Problem = "application/problem+json"),
        )),
    ),
    security(("bearer" = []))
)]
pub async fn sync_resources(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<SyncQuery>,
    body: SyncBody,
) -> Result<HttpResponse, ApiError> {
    sync::<Resource>(&state, caller, query.0.atomic.unwrap_or(false), body).await
}
