//! Sync endpoints: `PUT /v1/{groups|events|resources}/by-external-id/{external_id}`
//! and `POST /v1/sync/{groups|events|resources}`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authenticated, Caller};
use crate::error::{ApiError, FieldError, Problem};
use crate::events::dto::EventWrite;
use crate::events::queries::Event;
use crate::extract::{is_json, parse_json, Query, RawBody, RawBodyLimited, MAX_SYNC_BODY_BYTES};
use crate::groups::dto::GroupWrite;
use crate::groups::queries::Group;
use crate::listing::sync::{bulk, upsert, Outcome, SyncRequest, SyncResult, MAX_SYNC_ITEMS};
use crate::listing::{store, Listing};
use crate::middleware::IfMatch;
use crate::resources::dto::ResourceWrite;
use crate::resources::queries::Resource;
use crate::routes::resource;
use crate::state::AppState;

type SyncBody = RawBodyLimited<MAX_SYNC_BODY_BYTES>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/groups/by-external-id/{external_id}", "PUT")
            .route(web::put().to(put_group_by_external_id)),
    )
    .service(
        resource("/events/by-external-id/{external_id}", "PUT")
            .route(web::put().to(put_event_by_external_id)),
    )
    .service(
        resource("/resources/by-external-id/{external_id}", "PUT")
            .route(web::put().to(put_resource_by_external_id)),
    )
    .service(resource("/sync/groups", "POST").route(web::post().to(sync_groups)))
    .service(resource("/sync/events", "POST").route(web::post().to(sync_events)))
    .service(resource("/sync/resources", "POST").route(web::post().to(sync_resources)));
}

fn require_json(ct: Option<&str>) -> Result<(), ApiError> {
    if is_json(ct) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with `Content-Type: application/json`".into(),
        ))
    }
}

async fn put_by_external_id<L: Listing>(
    state: &AppState,
    precondition: Option<IfMatch>,
    caller: Caller,
    ext: String,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_scope("listings:write")?;
    if ext.is_empty() || ext.chars().count() > 200 {
        return Err(ApiError::InvalidPath(FieldError::new(
            "external_id",
            "must have 1 to 200 characters",
        )));
    }
    require_json(body.content_type.as_deref())?;
    let mut w: L::Write = parse_json(&body.bytes)?;
    match L::external_id(&w) {
        Some(e) if e != ext => {
            return Err(ApiError::field(
                "external_id",
                "must match the `external_id` in the path (or be left out)",
            ))
        }
        Some(_) => {}
        None => L::set_external_id(&mut w, &ext),
    }
    let p = L::prepare(w)?;
    let org = caller.organization_id;
    let (outcome, id, view) = state
        .db(move |conn| {
            let (outcome, id, _) = upsert::<L>(conn, &org, &p, precondition.as_ref())?;
            let view = store::owner_json::<L>(conn, &org, &id)?;
            Ok((outcome, id, view))
        })
        .await?;
    let mut res = if outcome == Outcome::Created {
        let mut r = HttpResponse::Created();
        r.insert_header((header::LOCATION, format!("/v1/{}/{id}", L::KIND.plural())));
        r
    } else {
        HttpResponse::Ok()
    };
    Ok(res.json(view))
}

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
    require_json(body.content_type.as_deref())?;
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

macro_rules! put_doc {
    ($fn:ident, $kind:ty, $path:literal, $op:literal, $body:ty, $resp:ty, $noun:literal) => {
        #[doc = concat!("Create or replace one of your ", $noun, "s by your own id.")]
        ///
        /// The body is a full write; `external_id` may be left out (the path
        /// gives it). Sending the same body again changes nothing: the answer
        /// is `200` with the listing, its `version` and `updated_at` unchanged,
        /// and no change-feed entry.
        #[utoipa::path(
            put, path = $path, tag = "sync", operation_id = $op,
            summary = concat!("Upsert a ", $noun, " by external id"),
            params(
                ("external_id" = String, Path, description = "Your own identifier for the listing", example = "grief-tue"),
                ("If-Match" = Option<String>, Header, description = "The `ETag` of the version you edited; if the listing has changed since (or does not exist), the answer is `412` and nothing is written"),
            ),
            request_body = $body,
            responses(
                (status = 200, description = "Replaced, or unchanged", body = $resp),
                (status = 201, description = "Created", body = $resp,
                    headers(("Location" = String, description = "URL of the new listing"))),
                (status = 400, description = "Malformed JSON or path", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "The token lacks the `listings:write` scope", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "`If-Match` names an older version, or there is no such listing", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
                (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
            ),
            security(("bearer" = []))
        )]
        pub async fn $fn(
            state: web::Data<AppState>,
            req: HttpRequest,
            path: web::Path<String>,
            Authenticated(caller): Authenticated,
            body: RawBody,
        ) -> Result<HttpResponse, ApiError> {
            put_by_external_id::<$kind>(&state, IfMatch::from_request(&req), caller, path.into_inner(), body).await
        }
    };
}

put_doc!(
    put_group_by_external_id,
    Group,
    "/v1/groups/by-external-id/{external_id}",
    "upsertGroupByExternalId",
    GroupWrite,
    crate::groups::dto::GroupResponse,
    "group"
);
put_doc!(
    put_event_by_external_id,
    Event,
    "/v1/events/by-external-id/{external_id}",
    "upsertEventByExternalId",
    EventWrite,
    crate::events::dto::EventResponse,
    "event"
);
put_doc!(
    put_resource_by_external_id,
    Resource,
    "/v1/resources/by-external-id/{external_id}",
    "upsertResourceByExternalId",
    ResourceWrite,
    crate::resources::dto::ResourceResponse,
    "resource"
);

macro_rules! sync_doc {
    ($fn:ident, $kind:ty, $path:literal, $op:literal, $body:ty, $noun:literal) => {
        #[doc = concat!("Sync many ", $noun, "s at once.")]
        ///
        /// Up to 1,000 items (upserts and deletes together) matched by your
        /// `external_id`s. The answer lists each item's outcome in request
        /// order: `created`, `updated`, `unchanged`, `deleted`, `not_found`,
        /// or `failed` with its problem and field names (prefixed with the
        /// item, e.g. `upsert[3].format`). Valid items are applied even when
        /// others fail, unless `atomic=true`.
        #[utoipa::path(
            post, path = $path, tag = "sync", operation_id = $op,
            summary = concat!("Bulk sync ", $noun, "s"),
            params(SyncQuery),
            request_body = $body,
            responses(
                (status = 200, description = "Applied; per-item outcomes", body = SyncResult),
                (status = 400, description = "Malformed JSON or query", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "The token lacks the `listings:write` scope", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "More than 1,000 items, or a body over 16 MiB", body = Problem, content_type = "application/problem+json"),
                (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "With `atomic=true`: an item failed and nothing was applied (`application/json`, per-item outcomes); or the body's shape is invalid (`application/problem+json`)", content(
                    (SyncResult = "application/json"),
                    (Problem = "application/problem+json"),
                )),
            ),
            security(("bearer" = []))
        )]
        pub async fn $fn(
            state: web::Data<AppState>,
            Authenticated(caller): Authenticated,
            query: Query<SyncQuery>,
            body: SyncBody,
        ) -> Result<HttpResponse, ApiError> {
            sync::<$kind>(&state, caller, query.0.atomic.unwrap_or(false), body).await
        }
    };
}

sync_doc!(
    sync_groups,
    Group,
    "/v1/sync/groups",
    "syncGroups",
    SyncGroupsRequest,
    "group"
);
sync_doc!(
    sync_events,
    Event,
    "/v1/sync/events",
    "syncEvents",
    SyncEventsRequest,
    "event"
);
sync_doc!(
    sync_resources,
    Resource,
    "/v1/sync/resources",
    "syncResources",
    SyncResourcesRequest,
    "resource"
);
