//! The HTTP side of reading and writing one listing, for every kind: each
//! kind's documented handler (`get_group`, `create_event`, …) calls one of
//! these.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{store, Listing};
use crate::auth::{Caller, MaybeAuthenticated};
use crate::error::ApiError;
use crate::extract::{uuid_path, RawBody};
use crate::middleware::IfMatch;
use crate::routes::read_response;
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
            let row = store::find_visible::<L>(conn, &id, viewer.as_deref())?
                .ok_or_else(|| ApiError::not_found(L::NOUN))?;
            let owner = viewer.as_deref() == Some(L::meta(&row).organization_id);
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
    caller: Caller,
    body: L::Write,
) -> Result<HttpResponse, ApiError> {
    let org = writer(&caller)?;
    let st = state.clone();
    crate::idempotency::run(
        &state,
        &req,
        &caller.organization_id,
        &body.clone(),
        || async move {
            let listing = st
                .db(move |conn| {
                    let row = store::create::<L>(conn, &org, &L::prepare(body)?)?;
                    store::response::<L>(conn, row, true)
                })
                .await?;
            let listing = serde_json::to_value(listing).map_err(ApiError::internal)?;
            let location = format!(
                "/v1/{}/{}",
                L::KIND.plural(),
                listing["id"].as_str().unwrap_or_default()
            );
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
    caller: Caller,
    body: L::Write,
) -> Result<HttpResponse, ApiError> {
    let org = writer(&caller)?;
    let id = uuid_path("id", &path)?;
    let pre = IfMatch::from_request(&req);
    let listing = state
        .db(move |conn| {
            let next = L::prepare(body)?;
            let row = store::update::<L>(conn, &org, &id, pre.as_ref(), |_| Ok(next.clone()))?;
            store::response::<L>(conn, row, true)
        })
        .await?;
    Ok(HttpResponse::Ok().json(listing))
}

/// `PATCH /v1/{kind}/{id}`: a JSON Merge Patch onto the stored values,
/// validated like a whole body, under `If-Match`.
pub async fn update<L: Listing>(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let org = writer(&caller)?;
    let id = uuid_path("id", &path)?;
    let pre = IfMatch::from_request(&req);
    let listing = state
        .db(move |conn| {
            let row = store::update::<L>(conn, &org, &id, pre.as_ref(), |base| {
                L::prepare(crate::merge::apply(&base, &body)?)
            })?;
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
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let org = writer(&caller)?;
    let id = uuid_path("id", &path)?;
    let pre = IfMatch::from_request(&req);
    state
        .db(move |conn| store::delete::<L>(conn, &org, &id, pre.as_ref()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
