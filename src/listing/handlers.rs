//! The HTTP side of reading and writing listings, for every kind; routed
//! and documented in [`super::routes`].

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::{store, sync, Listing};
use crate::auth::{Authenticated, Caller, MaybeAuthenticated};
use crate::error::{ApiError, FieldError};
use crate::extract::{
    from_value_unchecked, is_json, parse_json, parse_json_unchecked, uuid_path, JsonBody, Query,
    RawBody, RawBodyLimited, MAX_SYNC_BODY_BYTES,
};
use crate::http::read_response;
use crate::middleware::IfMatch;
use crate::state::AppState;

/// The organization a write is for: the caller's, with the write scope.
pub fn writer(caller: &Caller) -> Result<String, ApiError> {
    caller.require_scope("listings:write")?;
    Ok(caller.organization_id.clone())
}

/// `GET /v1/{kind}/{id}`: published listings for everyone; with a token, an
/// organization also sees its own drafts, with every detail.
pub async fn get<L: Listing>(
    state: web::Data<AppState>,
    path: web::Path<String>,
    caller: MaybeAuthenticated,
) -> Result<HttpResponse, ApiError> {
    let id = uuid_path("id", &path)?;
    let viewer = caller.0.as_ref().map(|c| c.organization_id.clone());
    let listing = state
        .db(move |conn| {
            let (row, owner) = store::find_readable::<L>(conn, &id, viewer.as_deref())?;
            store::response::<L>(conn, row, owner)
        })
        .await?;
    Ok(read_response(state.config.cache_max_age, caller.0.is_some()).json(listing))
}

/// `POST /v1/{kind}`: create for the caller's organization, once per
/// `Idempotency-Key`.
pub async fn create<L: Listing>(
    state: web::Data<AppState>,
    req: HttpRequest,
    Authenticated(caller): Authenticated,
    JsonBody(body): JsonBody<L::Write>,
) -> Result<HttpResponse, ApiError> {
    let org = writer(&caller)?;
    let st = state.clone();
    crate::idempotency::run(
        &state,
        &req,
        &caller.organization_id,
        &body.clone(),
        |recorder| async move {
            let (listing, location) = st
                .db(move |conn| {
                    let p = L::prepare(body)?;
                    // What the write derives is computed before the lock.
                    L::derive(&p)?;
                    recorder.created(conn, |conn| {
                        let row = store::create::<L>(conn, &org, &p)?;
                        let location = format!("/v1/{}/{}", L::KIND.plural(), L::meta(&row).id);
                        let listing = serde_json::to_value(store::response::<L>(conn, row, true)?)
                            .map_err(ApiError::internal)?;
                        Ok((listing, location))
                    })
                })
                .await?;
            Ok((StatusCode::CREATED, listing, Some(location)))
        },
    )
    .await
}

/// `PUT /v1/{kind}/{id}`: replace with a whole body (checked before the
/// listing is looked up), under `If-Match`.
pub async fn replace<L: Listing>(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    caller: Authenticated,
    JsonBody(body): JsonBody<L::Write>,
) -> Result<HttpResponse, ApiError> {
    edit::<L>(state, req, path, caller, move |_| L::prepare(body.clone())).await
}

/// `PATCH /v1/{kind}/{id}`: a JSON Merge Patch onto the stored values,
/// validated like a whole body, under `If-Match`.
pub async fn update<L: Listing>(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    caller: Authenticated,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    edit::<L>(state, req, path, caller, move |base| {
        L::prepare(crate::merge::apply(&base, &body)?)
    })
    .await
}

/// Write `next(stored values)` over the caller's listing `{id}`, under
/// `If-Match`, and answer with the result.
async fn edit<L: Listing>(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
    next: impl Fn(L::Write) -> Result<L::Prepared, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let org = writer(&caller)?;
    let id = uuid_path("id", &path)?;
    let pre = IfMatch::from_request(&req);
    let listing = state
        .db(move |conn| {
            let row = store::update::<L>(conn, &org, &id, pre.as_ref(), next)?;
            store::response::<L>(conn, row, true)
        })
        .await?;
    Ok(HttpResponse::Ok().json(listing))
}

/// `DELETE /v1/{kind}/{id}`, under `If-Match`.
pub async fn delete<L: Listing>(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, ApiError> {
    let org = writer(&caller)?;
    let id = uuid_path("id", &path)?;
    let pre = IfMatch::from_request(&req);
    state
        .db(move |conn| store::delete::<L>(conn, &org, &id, pre.as_ref()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Refuse a body that is not JSON (`415`).
pub fn require_json(ct: Option<&str>) -> Result<(), ApiError> {
    if is_json(ct) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with `Content-Type: application/json`".into(),
        ))
    }
}

/// `PUT /v1/{kind}/by-external-id/{external_id}`: create or replace by the
/// partner's own id; the same body twice changes nothing the second time.
pub async fn upsert<L: Listing>(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let precondition = IfMatch::from_request(&req);
    let ext = path.into_inner();
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
            let (outcome, id, _) = sync::upsert::<L>(conn, &org, &p, precondition.as_ref())?;
            let view = store::owner_json::<L>(conn, &org, &id)?;
            Ok((outcome, id, view))
        })
        .await?;
    crate::metrics::metrics()
        .sync_items
        .with_label_values(&[L::KIND.as_str(), outcome.as_str()])
        .inc();
    let mut res = if outcome == sync::Outcome::Created {
        let mut r = HttpResponse::Created();
        r.insert_header((header::LOCATION, format!("/v1/{}/{id}", L::KIND.plural())));
        r
    } else {
        HttpResponse::Ok()
    };
    Ok(res.json(view))
}

/// Whether the whole batch is applied or nothing.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncQuery {
    /// `true`: apply every item or none (a failed item rolls back all and
    /// the answer is 422). Default `false`: valid items are applied even
    /// when others fail.
    pub atomic: Option<bool>,
}

/// `POST /v1/sync/{kind}`: up to [`sync::MAX_SYNC_ITEMS`] upserts and
/// deletes by external id, each with its own outcome (or all or nothing).
pub async fn sync<L: Listing>(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<SyncQuery>,
    body: RawBodyLimited<MAX_SYNC_BODY_BYTES>,
) -> Result<HttpResponse, ApiError> {
    let atomic = query.0.atomic.unwrap_or(false);
    caller.require_scope("listings:write")?;
    require_json(body.content_type.as_deref())?;
    let value: serde_json::Value = parse_json_unchecked(&body.bytes)?;
    crate::shape::require_object(&value)?;
    let req: sync::SyncRequest = from_value_unchecked(value)?;
    let n = req.upsert.len() + req.delete.len();
    if n > sync::MAX_SYNC_ITEMS {
        return Err(ApiError::PayloadTooLarge(format!(
            "a sync takes at most {} items (upserts and deletes together); this one has {n}: split it",
            sync::MAX_SYNC_ITEMS
        )));
    }
    let org = caller.organization_id;
    let result = state
        .db(move |conn| sync::bulk::<L>(conn, &org, req, atomic))
        .await?;
    let status = if result.applied {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(HttpResponse::build(status).json(result))
}
