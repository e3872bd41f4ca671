//! `POST /v1/auth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::clients;
use crate::error::{ApiError, Problem};
use crate::extract::{is_json, parse_json, RawBody};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::http::resource("/auth/token", "POST").route(web::post().to(issue_token)));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(issue_token))]
pub struct Api;

/// Token request, form-encoded (`application/x-www-form-urlencoded`, as RFC
/// 6749 says) or JSON. The client may instead authenticate with HTTP Basic.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grant_type": "client_credentials", "client_id": "cl_0193a5b0c0de7c3a9d2f1e4b5a6c7d8e", "client_secret": "s3cr3t-shown-once"}))]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: String,
    /// The client id (unless sent with HTTP Basic).
    pub client_id: Option<String>,
    /// The client secret (unless sent with HTTP Basic).
    pub client_secret: Option<String>,
    /// Space-separated subset of the client's scopes; all of them by default.
    pub scope: Option<String>,
}

/// An access token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6ImstMWEyYjNjIn0.e30.sig", "token_type": "Bearer", "expires_in": 900, "scope": "listings:write organization:write"}))]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
}

fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> ApiError {
    ApiError::OAuth {
        status,
        error,
        description: description.into(),
    }
}

/// Credentials from `Authorization: Basic` (form-urlencoded id and secret).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, ApiError> {
    let Some(value) = super::authorization(req)?.and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Ok(None);
    };
    let invalid = || {
        oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the Basic credentials are malformed",
        )
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Ok(Some((
        unescape(id).unwrap_or_default(),
        unescape(secret).unwrap_or_default(),
    )))
}

/// Exchange client credentials for an access token.
///
/// Send `grant_type=client_credentials` with the `client_id` and
/// `client_secret` you were given when your organization was onboarded. The
/// token is valid for 15 minutes by default; ask for a new one when it
/// expires. Errors follow RFC 6749 (`error` member) inside a problem document.
///
/// The body is a form (`application/x-www-form-urlencoded`), as OAuth 2.0
/// clients send it; the same fields as a JSON object are accepted too.
#[utoipa::path(
    post,
    path = "/v1/auth/token",
    tag = "auth",
    operation_id = "issueToken",
    summary = "Exchange client credentials for an access token",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The access token", body = TokenResponse,
            headers(("Cache-Control" = String, description = "Always `no-store`"))),
        (status = 400, description = "Malformed request, unsupported grant type or scope", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown client, wrong secret or revoked client", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body neither form-encoded nor JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields in a JSON body", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn issue_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let request: TokenRequest =
        match body.content_type.as_deref() {
            Some("application/x-www-form-urlencoded") => serde_urlencoded::from_bytes(&body.bytes)
                .map_err(|e| {
                    oauth(
                        StatusCode::BAD_REQUEST,
                        "invalid_request",
                        format!("malformed form body: {e}"),
                    )
                })?,
            ct if is_json(ct) => parse_json(&body.bytes)?,
            _ => return Err(ApiError::UnsupportedMediaType(
                "send the token request as application/x-www-form-urlencoded or application/json"
                    .into(),
            )),
        };
    if request.grant_type != "client_credentials" {
        return Err(oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only the `client_credentials` grant is supported",
        ));
    }
    let (client_id, secret) = match (
        basic_credentials(&req)?,
        request.client_id,
        request.client_secret,
    ) {
        (Some(basic), None, None) => basic,
        (None, Some(id), Some(secret)) => (id, secret),
        (Some(_), _, _) => {
            return Err(oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "send the credentials either with HTTP Basic or in the body, not both",
            ))
        }
        _ => {
            return Err(oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "`client_id` and `client_secret` are required",
            ))
        }
    };
    // Guessing one client's secret is limited however many addresses try.
    if let Some(limits) = req.app_data::<web::Data<crate::ratelimit::RateLimits>>() {
        limits.check_token_client(&req, &client_id)?;
    }
    let client = state
        .db(move |conn| {
            let client = clients::find(conn, &client_id)?;
            let ok =
                clients::verify_secret(client.as_ref().map(|c| c.secret_hash.as_str()), &secret);
            Ok(client.filter(|c| ok && c.revoked_at.is_none()))
        })
        .await?
        .ok_or_else(|| {
            oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "unknown client, wrong secret or revoked client",
            )
        })?;

    let granted = client.scopes();
    let scope = match request
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => granted.join(" "),
        Some(asked) => {
            if let Some(bad) = asked.split_whitespace().find(|s| !granted.contains(s)) {
                return Err(oauth(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    format!("scope `{bad}` is not granted to this client"),
                ));
            }
            asked.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    };
    let token = state
        .keys
        .issue(&client.id, &client.organization_id, &scope);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: token,
            token_type: "Bearer".into(),
            expires_in: state.keys.ttl_seconds,
            scope,
        }))
}
