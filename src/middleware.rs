//! Request context: a request id (taken from `X-Request-Id` when sane, else
//! generated) returned on every response, one log line per request, and
//! `HEAD` served by the matching `GET` route.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request, stored in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

pub async fn request_context(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let method = req.method().clone();
    // The connection already knows this is a HEAD request and sends no body;
    // routing it as GET gives every GET route a HEAD twin.
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let path = req.path().to_owned();
    req.extensions_mut().insert(RequestId(id.clone()));
    let result = next.call(req).await;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(mut res) => {
            if let Ok(v) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, v);
            }
            browser_hardening(res.headers_mut(), &path);
            log::info!(target: "circles::http", "{method} {path} {} {elapsed:.1}ms request_id={id}", res.status().as_u16());
            Ok(res)
        }
        Err(e) => {
            log::info!(target: "circles::http", "{method} {path} {} {elapsed:.1}ms request_id={id}",
                e.as_response_error().status_code().as_u16());
            Err(e)
        }
    }
}

/// The docs page's policy: its own scripts and styles only (Swagger UI sets
/// inline `style` attributes, and draws icons from `data:` images), requests
/// to this origin only, never framed.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                        img-src 'self' data:; connect-src 'self'; font-src 'self'; \
                        frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Headers that tell browsers not to guess: every answer is served as the
/// type it says (`nosniff`) and sends no referrer onwards; the docs page gets
/// a strict content security policy and may not be framed. The API's own
/// answers are data, never framed either.
fn browser_hardening(headers: &mut actix_web::http::header::HeaderMap, path: &str) {
    use actix_web::http::header::{
        CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let csp = if path == "/docs" || path.starts_with("/docs/") {
        DOCS_CSP
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
}

/// ETags and `If-None-Match` for every successful read, computed from the
/// body: a listing (a JSON object with a `version`) gets a strong tag
/// `"<version>-<hash>"`, which `If-Match` on writes compares by version;
/// anything else a weak `W/"<hash>"`. A read whose `If-None-Match` matches
/// answers `304 Not Modified`. Write answers carrying a listing get the
/// strong tag too, so a client can chain edits.
pub async fn etags(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    use actix_web::http::{header, StatusCode};
    use sha2::{Digest, Sha256};

    let is_read = req.method() == Method::GET;
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let res = next.call(req).await?;
    let status = res.status();
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/calendar"));
    if !(status == StatusCode::OK || status == StatusCode::CREATED) || !json {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?;
    let hash: String = Sha256::digest(&bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // Only the top-level `version` is needed: skip the rest without building it.
    #[derive(serde::Deserialize)]
    struct Versioned {
        version: Option<i64>,
    }
    let version = serde_json::from_slice::<Versioned>(&bytes)
        .ok()
        .and_then(|v| v.version);
    let tag = match version {
        Some(v) => format!("\"{v}-{hash}\""),
        None if is_read => format!("W/\"{hash}\""),
        None => {
            return Ok(ServiceResponse::new(
                req,
                res.set_body(bytes).map_into_boxed_body(),
            ))
        }
    };
    if let Ok(v) = HeaderValue::from_str(&tag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    let matches = is_read
        && if_none_match.is_some_and(|inm| {
            inm.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == tag.trim_start_matches("W/"))
        });
    if matches {
        let mut not_modified = actix_web::HttpResponse::NotModified();
        for name in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::VARY,
            header::CONTENT_LOCATION,
        ] {
            if let Some(v) = res.headers().get(&name) {
                not_modified.insert_header((name, v.clone()));
            }
        }
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    Ok(ServiceResponse::new(
        req,
        res.set_body(bytes).map_into_boxed_body(),
    ))
}

/// A write's `If-Match` precondition.
#[derive(Debug, Clone)]
pub enum IfMatch {
    /// `*`: the listing must exist.
    Any,
    /// The versions named by the tags (`"<version>-<hash>"`).
    Versions(Vec<i64>),
}

impl IfMatch {
    /// Read `If-Match` from a request, if present.
    pub fn from_request(req: &actix_web::HttpRequest) -> Option<IfMatch> {
        let raw = req
            .headers()
            .get(actix_web::http::header::IF_MATCH)?
            .to_str()
            .unwrap_or("");
        if raw.trim() == "*" {
            return Some(IfMatch::Any);
        }
        // Weak tags never match (RFC 9110 §13.1.1 uses strong comparison).
        let versions = raw
            .split(',')
            .map(str::trim)
            .filter(|t| !t.starts_with("W/"))
            .filter_map(|t| t.trim_matches('"').split('-').next()?.parse::<i64>().ok())
            .collect();
        Some(IfMatch::Versions(versions))
    }

    /// `412` unless the current version is one the client named.
    pub fn check(
        precondition: Option<&IfMatch>,
        version: i64,
    ) -> Result<(), crate::error::ApiError> {
        match precondition {
            None | Some(IfMatch::Any) => Ok(()),
            Some(IfMatch::Versions(v)) if v.contains(&version) => Ok(()),
            Some(_) => Err(crate::error::ApiError::PreconditionFailed(format!(
                "the listing has changed (it is at version {version}); read it again and reapply your change"
            ))),
        }
    }
}
