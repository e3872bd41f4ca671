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
