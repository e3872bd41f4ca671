//! A short-lived cache of public read answers, so that the same search asked
//! again within seconds (the same "grief groups near Leeds" page that many
//! people open) is answered from memory.
//!
//! What keeps it correct:
//! - only anonymous `GET`s under `/v1/` whose answer is `200` with
//!   `Cache-Control: public` are kept (never a token's private view, never the
//!   change feed);
//! - any write handled by this instance empties it at once (a generation
//!   counter), so a client never reads its own write stale;
//! - entries live `CIRCLES_RESPONSE_CACHE_SECONDS` (default 5, `0` turns the
//!   cache off), never longer than the `Cache-Control: max-age` that every
//!   such answer already carries; that bounds how late a write made on
//!   another instance, or a meeting that has just begun, shows up;
//! - its size is bounded (`CIRCLES_RESPONSE_CACHE_MB`, default 32).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, Error, HttpResponse};

use crate::state::AppState;

pub struct ResponseCache {
    ttl: Duration,
    max_bytes: usize,
    generation: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

struct Entry {
    generation: u64,
    stored: Instant,
    headers: HeaderMap,
    body: Bytes,
}

impl ResponseCache {
    pub fn new(ttl_seconds: u32, max_mb: u32) -> ResponseCache {
        ResponseCache {
            ttl: Duration::from_secs(u64::from(ttl_seconds)),
            max_bytes: max_mb as usize * 1024 * 1024,
            generation: AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_bytes > 0
    }

    /// Forget everything (after a write).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut inner) = self.inner.lock() {
            inner.entries.clear();
            inner.bytes = 0;
        }
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let inner = self.inner.lock().ok()?;
        let e = inner.entries.get(key)?;
        (e.generation == self.generation.load(Ordering::SeqCst) && e.stored.elapsed() < self.ttl)
            .then(|| e.clone())
    }

    fn put(&self, key: String, generation: u64, headers: HeaderMap, body: Bytes) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if generation != self.generation.load(Ordering::SeqCst) || body.len() > self.max_bytes / 16
        {
            return;
        }
        if inner.bytes + body.len() > self.max_bytes {
            // Full: drop what has expired; if that is not enough, start over.
            let ttl = self.ttl;
            inner.entries.retain(|_, e| e.stored.elapsed() < ttl);
            inner.bytes = inner.entries.values().map(|e| e.body.len()).sum();
            if inner.bytes + body.len() > self.max_bytes {
                inner.entries.clear();
                inner.bytes = 0;
            }
        }
        inner.bytes += body.len();
        let entry = Arc::new(Entry {
            generation,
            stored: Instant::now(),
            headers,
            body,
        });
        if let Some(old) = inner.entries.insert(key, entry) {
            inner.bytes -= old.body.len();
        }
    }
}

fn cacheable_request(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::GET
        && path.starts_with("/v1/")
        && !path.starts_with("/v1/changes")
        && !path.starts_with("/v1/auth")
        && !req.headers().contains_key(header::AUTHORIZATION)
}

fn answer(entry: &Entry, if_none_match: Option<&str>) -> HttpResponse {
    let etag = entry
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok());
    let not_modified = match (etag, if_none_match) {
        (Some(tag), Some(inm)) => inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == tag.trim_start_matches("W/")),
        _ => false,
    };
    let mut res = if not_modified {
        HttpResponse::build(StatusCode::NOT_MODIFIED).finish()
    } else {
        HttpResponse::build(StatusCode::OK).body(entry.body.clone())
    };
    for (name, value) in &entry.headers {
        if not_modified && name == header::CONTENT_TYPE {
            continue;
        }
        res.headers_mut().insert(name.clone(), value.clone());
    }
    res
}

/// The middleware: answer from the cache, or keep what the handlers answer.
pub async fn response_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cache = &state.cache;
    if !cache.enabled() {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if req.method() != Method::GET && req.method() != Method::OPTIONS {
        // A write (whatever its outcome) may change what reads answer.
        let res = next.call(req).await?;
        cache.invalidate();
        return Ok(res.map_into_boxed_body());
    }
    if !cacheable_request(&req) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = req.uri().to_string();
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(entry) = cache.get(&key) {
        let res = answer(&entry, if_none_match.as_deref());
        return Ok(req.into_response(res));
    }
    let generation = cache.generation.load(Ordering::SeqCst);
    let res = next.call(req).await?;
    let public = res
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    if res.status() != StatusCode::OK || !public {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (res, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("body"))?;
    cache.put(key, generation, res.headers().clone(), bytes.clone());
    Ok(ServiceResponse::new(
        req,
        res.set_body(bytes).map_into_boxed_body(),
    ))
}
