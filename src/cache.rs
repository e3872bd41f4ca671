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
//! - entries are fresh for `CIRCLES_RESPONSE_CACHE_SECONDS` (default 5, `0`
//!   turns the cache off). After that, for at most as long again, requests
//!   still get the previous answer while it is recomputed behind them (the
//!   first such request starts that, as `stale-while-revalidate` does):
//!   nobody waits for a popular search to be recomputed, and it is computed
//!   once, not by every request that arrives meanwhile. An answer is thus
//!   at most twice that old, and never older than
//!   the `Cache-Control: max-age` that every such answer already carries;
//!   that bounds how late a write made on another instance, or a meeting
//!   that has just begun, shows up;
//! - when there is no answer to give yet, the requests for it that arrive
//!   while the first computes it wait for that one (once) instead of each
//!   computing it too: a slow search asked by eight connections at once ran
//!   eight times in parallel, and every request behind it waited seconds;
//! - on PostgreSQL, where several instances share the database, a write
//!   made through any of them is seen by every other at once: a write's
//!   answer goes out only after it has bumped a shared version (a sequence,
//!   after the commit), and an instance reads that version (one round trip)
//!   before answering from memory, emptying its cache when it moved. (On
//!   SQLite the service is one instance; writes made beside it through the
//!   CLI show up within the time above.)
//! - its size is bounded (`CIRCLES_RESPONSE_CACHE_MB`, default 32).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::futures::OwnedNotified;
use tokio::sync::{Notify, Semaphore};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{web, Error, HttpResponse};

use crate::db;
use crate::metrics::metrics;
use crate::state::AppState;

pub struct ResponseCache {
    ttl: Duration,
    /// How long after `ttl` an entry may still be served while one request
    /// recomputes it.
    grace: Duration,
    max_bytes: usize,
    generation: AtomicU64,
    inner: Mutex<Inner>,
    /// Background recomputes run one at a time: answers that expire
    /// together (a burst of searches cached in the same second) are
    /// refreshed one after another, and the requests being answered from
    /// memory keep the other cores.
    refreshes: Semaphore,
    /// Whether instances share the database (PostgreSQL): then the data
    /// version in the database is checked before answering from memory.
    shared: bool,
    /// The data version this cache's entries were computed at (-1: none yet).
    seen_version: AtomicI64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    bytes: usize,
    /// Answers being computed for want of an entry; the requests for the same
    /// key wait on its `Notify`.
    computing: HashMap<String, Arc<Notify>>,
}

/// What a request does with a key: answer with an entry; answer with an
/// entry past its time and recompute it in the background; compute the
/// answer (leading the others that ask meanwhile when `Some`: drop the guard
/// once the answer is stored or given up); or wait for the request computing
/// it and look again.
enum Lookup<'a> {
    Hit(Arc<Entry>),
    Refresh(Arc<Entry>),
    Compute(Option<Computing<'a>>),
    Wait(OwnedNotified),
}

/// Held by the request computing a missing answer; dropping it (stored,
/// not cacheable, failed or cancelled) wakes the requests waiting for it.
struct Computing<'a> {
    cache: &'a ResponseCache,
    key: String,
}

impl Drop for Computing<'_> {
    fn drop(&mut self) {
        let notify = match self.cache.inner.lock() {
            Ok(mut inner) => inner.computing.remove(&self.key),
            Err(_) => None,
        };
        if let Some(n) = notify {
            n.notify_waiters();
        }
    }
}

struct Entry {
    generation: u64,
    stored: Instant,
    /// A request is recomputing this entry.
    refreshing: AtomicBool,
    headers: HeaderMap,
    body: Bytes,
}

impl ResponseCache {
    /// `ttl_seconds` is capped by `max_age`, the `Cache-Control: max-age` of
    /// public reads, and so is the time an answer is served in all.
    pub fn new(ttl_seconds: u32, max_age: u32, max_mb: u32) -> ResponseCache {
        let ttl = ttl_seconds.min(max_age);
        let grace = ttl.min(max_age - ttl);
        ResponseCache {
            ttl: Duration::from_secs(u64::from(ttl)),
            grace: Duration::from_secs(u64::from(grace)),
            max_bytes: max_mb as usize * 1024 * 1024,
            generation: AtomicU64::new(0),
            inner: Mutex::new(Inner::default()),
            refreshes: Semaphore::new(1),
            shared: false,
            seen_version: AtomicI64::new(-1),
        }
    }

    /// Check the database's data version before answering from memory
    /// (several instances on one PostgreSQL database).
    pub fn shared(mut self, shared: bool) -> ResponseCache {
        self.shared = shared;
        self
    }

    /// Answers kept and their bytes.
    pub fn size(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|i| (i.entries.len(), i.bytes))
            .unwrap_or_default()
    }

    /// Empty the cache if the data version moved since it was last seen.
    fn observe_version(&self, version: i64) {
        if self.seen_version.swap(version, Ordering::SeqCst) != version {
            self.invalidate();
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

    /// The entry to answer with, if any (`Some((entry, true))`: past its
    /// time, and this caller is to recompute it).
    #[cfg(test)]
    fn get(&self, key: &str) -> Option<(Arc<Entry>, bool)> {
        match self.lookup(key, false) {
            Lookup::Hit(e) => Some((e, false)),
            Lookup::Refresh(e) => Some((e, true)),
            _ => None,
        }
    }

    /// What to do for `key`. `coalesce`: when there is nothing to answer
    /// with, wait for a request already computing it, or lead the others.
    fn lookup(&self, key: &str, coalesce: bool) -> Lookup<'_> {
        let Ok(mut inner) = self.inner.lock() else {
            return Lookup::Compute(None);
        };
        if let Some(e) = inner.entries.get(key) {
            if e.generation == self.generation.load(Ordering::SeqCst) {
                let age = e.stored.elapsed();
                if age < self.ttl {
                    return Lookup::Hit(e.clone());
                }
                if age < self.ttl + self.grace {
                    return if e.refreshing.swap(true, Ordering::SeqCst) {
                        Lookup::Hit(e.clone())
                    } else {
                        Lookup::Refresh(e.clone())
                    };
                }
            }
        }
        if !coalesce {
            return Lookup::Compute(None);
        }
        if let Some(n) = inner.computing.get(key) {
            // Registered before the lock is released: the wake-up cannot be missed.
            return Lookup::Wait(n.clone().notified_owned());
        }
        inner
            .computing
            .insert(key.to_owned(), Arc::new(Notify::new()));
        Lookup::Compute(Some(Computing {
            cache: self,
            key: key.to_owned(),
        }))
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
            let (ttl, grace) = (self.ttl, self.grace);
            inner
                .entries
                .retain(|_, e| e.stored.elapsed() < ttl + grace);
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
            refreshing: AtomicBool::new(false),
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
    let Some(cache) = req.app_data::<web::Data<ResponseCache>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if req.method() != Method::GET && req.method() != Method::OPTIONS {
        // A write may change what reads answer, unless it was refused: a
        // 4xx commits nothing (bad input, no token, no such route, a failed
        // precondition), and anyone can send one, so it must not empty the
        // cache. A 5xx may come after a commit, so it does.
        let res = next.call(req).await?;
        if !res.status().is_client_error() {
            if let Some(state) = state.filter(|_| cache.shared) {
                // Before the answer goes out: every instance then sees it.
                if let Err(e) = state.db(|conn| Ok(db::bump_data_version(conn)?)).await {
                    log::warn!("data version not bumped: {e}");
                }
            }
            cache.invalidate();
        }
        return Ok(res.map_into_boxed_body());
    }
    if !cache.enabled() || !cacheable_request(&req) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if let Some(state) = state.filter(|_| cache.shared) {
        match state.db(|conn| Ok(db::data_version(conn)?)).await {
            Ok(version) => cache.observe_version(version),
            // Without the version, answer from the handlers.
            Err(_) => return Ok(next.call(req).await?.map_into_boxed_body()),
        }
    }
    let key = req.uri().to_string();
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut lookup = cache.lookup(&key, true);
    if let Lookup::Wait(answered) = lookup {
        answered.await;
        // Once only: if that answer was not kept (not `200`, or a write came
        // in between), compute this one in parallel with the others.
        lookup = cache.lookup(&key, false);
    }
    let _computing = match lookup {
        Lookup::Hit(entry) => {
            metrics().cache_requests.with_label_values(&["hit"]).inc();
            let res = answer(&entry, if_none_match.as_deref());
            return Ok(req.into_response(res));
        }
        Lookup::Refresh(entry) => {
            metrics().cache_requests.with_label_values(&["stale"]).inc();
            // Answer with the previous answer now; recompute it behind this
            // request, on this worker, through the same handlers.
            let (http_req, payload) = req.into_parts();
            let background = ServiceRequest::from_parts(http_req.clone(), payload);
            let generation = cache.generation.load(Ordering::SeqCst);
            let cache = cache.clone();
            let stale = entry.clone();
            actix_web::rt::spawn(async move {
                if let Ok(_turn) = cache.refreshes.acquire().await {
                    // Nothing to refresh if a write emptied the cache, or the
                    // entry ran out of grace, while this waited its turn.
                    let current = cache.generation.load(Ordering::SeqCst) == generation;
                    if current && stale.stored.elapsed() < cache.ttl + cache.grace {
                        if let Ok(res) = next.call(background).await {
                            let _ = keep(&cache, key, generation, res).await;
                        }
                    }
                }
                // Stored or not, a later request may try again.
                stale.refreshing.store(false, Ordering::SeqCst);
            });
            let res = answer(&entry, if_none_match.as_deref());
            return Ok(ServiceResponse::new(http_req, res));
        }
        Lookup::Compute(guard) => {
            metrics().cache_requests.with_label_values(&["miss"]).inc();
            guard
        }
        Lookup::Wait(_) => None,
    };
    let generation = cache.generation.load(Ordering::SeqCst);
    let res = next.call(req).await?;
    keep(&cache, key, generation, res).await
}

/// Keep a handler's answer if it is a public `200`, and pass it on.
async fn keep(
    cache: &ResponseCache,
    key: String,
    generation: u64,
    res: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: Option<(Arc<Entry>, bool)>) -> Option<Bytes> {
        e.map(|(e, _)| e.body.clone())
    }

    #[test]
    fn an_entry_past_its_time_is_served_while_one_request_recomputes_it() {
        let cache = ResponseCache::new(1, 60, 1);
        let put = |b: &'static [u8]| {
            let generation = cache.generation.load(Ordering::SeqCst);
            cache.put(
                "k".into(),
                generation,
                HeaderMap::new(),
                Bytes::from_static(b),
            );
        };
        put(b"old");
        assert_eq!(body(cache.get("k")).as_deref(), Some(&b"old"[..]), "fresh");
        std::thread::sleep(Duration::from_millis(1100));
        let (e, recompute) = cache.get("k").expect("still served");
        assert!(recompute, "the first request gets it and recomputes it");
        assert_eq!(&e.body[..], b"old");
        let (e, recompute) = cache.get("k").expect("still served");
        assert!(!recompute, "once");
        assert_eq!(&e.body[..], b"old", "meanwhile the others get it too");
        e.refreshing.store(false, Ordering::SeqCst);
        assert!(
            cache.get("k").expect("still served").1,
            "a recompute that kept nothing lets the next request try again"
        );
        put(b"new");
        assert_eq!(body(cache.get("k")).as_deref(), Some(&b"new"[..]));
        std::thread::sleep(Duration::from_millis(2100));
        assert!(cache.get("k").is_none(), "past its grace: recompute");
        assert!(cache.get("k").is_none(), "and nobody gets it");
        put(b"newer");
        cache.invalidate();
        assert!(
            cache.get("k").is_none(),
            "a write forgets everything at once"
        );
    }

    #[tokio::test]
    async fn requests_for_a_missing_answer_wait_for_the_one_computing_it() {
        let cache = ResponseCache::new(5, 60, 1);
        let Lookup::Compute(Some(leader)) = cache.lookup("k", true) else {
            panic!("the first request computes, and leads");
        };
        let Lookup::Wait(waiting) = cache.lookup("k", true) else {
            panic!("the next one waits for it");
        };
        assert!(
            matches!(cache.lookup("k", false), Lookup::Compute(None)),
            "unless it has waited once already"
        );
        let generation = cache.generation.load(Ordering::SeqCst);
        cache.put(
            "k".into(),
            generation,
            HeaderMap::new(),
            Bytes::from_static(b"a"),
        );
        drop(leader);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken when the answer is stored");
        assert_eq!(body(cache.get("k")).as_deref(), Some(&b"a"[..]));

        // An answer that is not kept (a 404, say): the waiters are woken and
        // compute their own, side by side.
        let Lookup::Compute(Some(leader)) = cache.lookup("gone", true) else {
            panic!("leads");
        };
        let Lookup::Wait(waiting) = cache.lookup("gone", true) else {
            panic!("waits");
        };
        drop(leader);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken when the first gives up");
        assert!(matches!(cache.lookup("gone", false), Lookup::Compute(None)));
        assert!(
            matches!(cache.lookup("gone", true), Lookup::Compute(Some(_))),
            "and the next request leads again"
        );
    }

    #[test]
    fn answers_never_outlive_max_age() {
        let c = ResponseCache::new(5, 60, 1);
        assert_eq!((c.ttl.as_secs(), c.grace.as_secs()), (5, 5));
        let c = ResponseCache::new(5, 7, 1);
        assert_eq!((c.ttl.as_secs(), c.grace.as_secs()), (5, 2));
        let c = ResponseCache::new(90, 60, 1);
        assert_eq!((c.ttl.as_secs(), c.grace.as_secs()), (60, 0));
    }
}
