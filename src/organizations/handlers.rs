//! Organization endpoints: public reads, self-service profile edits, and the
//! administrator's onboarding (organizations and API clients).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::queries;
use crate::auth::{clients, Authenticated, MaybeAuthenticated};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, Query, RawBody};
use crate::http::{page_response, read_response, resource};
use crate::pagination::{split_page, Cursor, PageRequest};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organizations", "GET, HEAD, POST")
            .route(web::get().to(list_organizations))
            .route(web::post().to(create_organization)),
    )
    .service(
        resource("/organizations/{id_or_slug}", "GET, HEAD, PATCH")
            .route(web::get().to(get_organization))
            .route(web::patch().to(update_organization)),
    )
    .service(
        resource("/organizations/{id}/clients", "GET, HEAD, POST")
            .route(web::get().to(list_clients))
            .route(web::post().to(create_client)),
    )
    .service(resource("/clients/{client_id}", "DELETE").route(web::delete().to(revoke_client)));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_organizations,
    create_organization,
    get_organization,
    update_organization,
    list_clients,
    create_client,
    revoke_client
))]
pub struct Api;

/// Paging of the organization list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// List organizations.
///
/// Every partner organization, oldest first, a page at a time.
#[utoipa::path(
    get, path = "/v1/organizations", tag = "organizations", operation_id = "listOrganizations",
    summary = "List organizations",
    params(OrganizationListQuery),
    responses(
        (status = 200, description = "A page of organizations", body = OrganizationPage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"),
                    ("Cache-Control" = String, description = "Public caching directives"))),
        (status = 400, description = "Invalid query parameter or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn list_organizations(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<OrganizationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let limit = page.limit;
    let rows = state
        .db(move |conn| Ok(queries::list(conn, &page)?))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |r| Cursor::after(&r.id));
    let data = rows
        .iter()
        .map(|r| r.to_response(false))
        .collect::<Result<Vec<_>, _>>()?;
    let mut res = page_response(&state.config, &req, false, next_cursor.as_deref());
    Ok(res.json(OrganizationPage { data, next_cursor }))
}

/// Get an organization by id or slug.
///
/// Contact details appear only when the organization made them public, or
/// when the organization itself (or an administrator) asks.
#[utoipa::path(
    get, path = "/v1/organizations/{id_or_slug}", tag = "organizations", operation_id = "getOrganization",
    summary = "Get an organization",
    params(("id_or_slug" = String, Path, description = "The organization's id or slug", example = "friends-of-ash")),
    responses(
        (status = 200, description = "The organization", body = OrganizationResponse,
            headers(("ETag" = String, description = "Validator for `If-None-Match` (and `If-Match` on a listing)"))),
        (status = 404, description = "No such organization", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn get_organization(
    state: web::Data<AppState>,
    path: web::Path<String>,
    caller: MaybeAuthenticated,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let row = state
        .db(move |conn| Ok(queries::find(conn, &key)?))
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    let privileged = caller
        .0
        .as_ref()
        .is_some_and(|c| c.organization_id == row.id || c.is_admin());
    Ok(
        read_response(state.config.cache_max_age, caller.0.is_some())
            .json(row.to_response(privileged)?),
    )
}

/// Create an organization (administrators).
///
/// Onboards a partner. Then create a client for it
/// (`POST /v1/organizations/{id}/clients`) and hand over the credentials.
#[utoipa::path(
    post, path = "/v1/organizations", tag = "organizations", operation_id = "createOrganization",
    summary = "Create an organization (admin)",
    params(("Idempotency-Key" = Option<String>, Header, description = "A unique key (a UUID) that makes retrying this request safe: the same key with the same body returns the first answer without creating again; with another body, 422; while the first is still running, 409. Kept at least 24 hours.", example = "5b4f0c1e-6a4e-4d0c-9a57-0d3c2f1b7e21")),
    request_body = OrganizationWrite,
    responses(
        (status = 201, description = "Created", body = OrganizationResponse,
            headers(("Location" = String, description = "URL of the new organization"))),
        (status = 403, description = "The token lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken, or a request with the same `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    Authenticated(caller): Authenticated,
    JsonBody(body): JsonBody<OrganizationWrite>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let st = state.clone();
    crate::idempotency::run(
        &state,
        &req,
        &caller.organization_id,
        &body.clone(),
        |recorder| async move {
            body.validate()?;
            let (org, location) = st
                .db(move |conn| {
                    recorder.created(conn, |conn| {
                        let row = queries::create(conn, &body)?;
                        let org = serde_json::to_value(row.to_response(true)?)
                            .map_err(ApiError::internal)?;
                        Ok((org, format!("/v1/organizations/{}", row.id)))
                    })
                })
                .await?;
            Ok((StatusCode::CREATED, org, Some(location)))
        },
    )
    .await
}

/// Update an organization's profile (JSON Merge Patch).
///
/// An organization edits its own profile; administrators may edit any and
/// alone may change `verified`. Send only the fields to change; `null`
/// clears an optional field.
#[utoipa::path(
    patch, path = "/v1/organizations/{id_or_slug}", tag = "organizations", operation_id = "updateOrganization",
    summary = "Update an organization's profile",
    params(("id_or_slug" = String, Path, description = "The organization's id or slug", example = "friends-of-ash")),
    request_body(content = OrganizationWrite, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Updated", body = OrganizationResponse),
        (status = 403, description = "Only administrators may change `verified`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update_organization(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_scope("organization:write")?;
    let key = path.into_inner();
    let row = state
        .db(move |conn| {
            queries::update(conn, &key, |current, base| {
                if current.id != caller.organization_id && !caller.is_admin() {
                    return Err(ApiError::not_found("organization"));
                }
                let next = crate::merge::apply(&base, &body)?;
                if next.verified != base.verified && !caller.is_admin() {
                    return Err(ApiError::Forbidden(
                        "only administrators may change `verified`".into(),
                    ));
                }
                next.validate()?;
                Ok(next)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(row.to_response(true)?))
}

/// List an organization's API clients (administrators).
///
/// Every client credential of the organization, with whether it was revoked.
/// Secrets are never shown again after creation.
#[utoipa::path(
    get, path = "/v1/organizations/{id}/clients", tag = "organizations", operation_id = "listClients",
    summary = "List an organization's API clients (admin)",
    params(("id" = String, Path, description = "The organization's id or slug", example = "friends-of-ash")),
    responses(
        (status = 200, description = "The clients, without secrets", body = ClientList,
            headers(("ETag" = String, description = "Validator for `If-None-Match` (and `If-Match` on a listing)"))),
        (status = 403, description = "The token lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_clients(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let key = path.into_inner();
    let list = state
        .db(move |conn| {
            let org =
                queries::find(conn, &key)?.ok_or_else(|| ApiError::not_found("organization"))?;
            Ok(clients::list_for_organization(conn, &org.id)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ClientList {
            data: list.into_iter().map(ClientResponse::from).collect(),
        }))
}

/// Create an API client for an organization (administrators).
///
/// Returns the client id and secret. The secret is stored only as a hash and
/// is shown in this response alone.
#[utoipa::path(
    post, path = "/v1/organizations/{id}/clients", tag = "organizations", operation_id = "createClient",
    summary = "Create an API client (admin)",
    params(("id" = String, Path, description = "The organization's id or slug", example = "friends-of-ash")),
    request_body(content = Option<CreateClientRequest>, description = "Optional; none (or `{}`) creates an ordinary client",
        example = json!({"admin": false})),
    responses(
        (status = 201, description = "The new credentials", body = ClientCredentials),
        (status = 403, description = "The token lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_client(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let options: CreateClientRequest = if body.bytes.is_empty() {
        CreateClientRequest::default()
    } else if crate::extract::is_json(body.content_type.as_deref()) {
        crate::extract::parse_json(&body.bytes)?
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as JSON".into(),
        ));
    };
    let key = path.into_inner();
    let created = state
        .db(move |conn| create_client_for(conn, &key, options.admin))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Create a client for the organization `id_or_slug` (shared with the CLI).
pub fn create_client_for(
    conn: &mut crate::db::DbConnection,
    id_or_slug: &str,
    admin: bool,
) -> Result<ClientCredentials, ApiError> {
    let org =
        queries::find(conn, id_or_slug)?.ok_or_else(|| ApiError::not_found("organization"))?;
    let cred = clients::generate_credential();
    let client = clients::insert(conn, &org.id, &cred, admin)?;
    Ok(ClientCredentials {
        client_id: client.id,
        client_secret: cred.client_secret,
        organization_id: org.id,
        admin,
        created_at: client.created_at.and_utc(),
    })
}

/// Revoke an API client (administrators).
///
/// Its tokens stop working at once; it can no longer get new ones.
#[utoipa::path(
    delete, path = "/v1/clients/{client_id}", tag = "organizations", operation_id = "revokeClient",
    summary = "Revoke an API client (admin)",
    params(("client_id" = String, Path, description = "The client id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "The token lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_client(
    state: web::Data<AppState>,
    path: web::Path<String>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let id = path.into_inner();
    let found = state
        .db(move |conn| Ok(clients::revoke(conn, &id)?))
        .await?;
    if !found {
        return Err(ApiError::not_found("client"));
    }
    Ok(HttpResponse::NoContent().finish())
}
