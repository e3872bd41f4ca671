//! Prometheus metrics (served at `GET /metrics` by `crate::health`): what
//! an operator watches, with labels that never carry an id, a query value
//! or a token (routes are templates, such as `/v1/groups/{id}`).
//!
//! | metric | what |
//! |---|---|
//! | `circles_http_requests_total{method,route,status}` | answers given |
//! | `circles_http_request_duration_seconds{method,route}` | time to answer (histogram) |
//! | `circles_http_requests_in_flight` | requests being answered |
//! | `circles_db_pool_connections`, `circles_db_pool_idle_connections` | the pool, at scrape time |
//! | `circles_db_checkout_seconds` | time waiting for a pooled connection (histogram) |
//! | `circles_db_up` | 1 while the database answers, 0 while it is away |
//! | `circles_response_cache_requests_total{outcome}` | `hit`, `stale` (answered, recomputed behind), `miss` |
//! | `circles_response_cache_entries`, `circles_response_cache_bytes` | its size, at scrape time |
//! | `circles_changelog_latest_seq`, `circles_changelog_lag_seconds` | the change log's last entry and its age, at scrape time |
//! | `circles_sync_items_total{kind,outcome}` | bulk-sync and upsert items by outcome |
//! | `circles_rate_limited_total{policy}` | requests refused by a rate limit |

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// Every metric of the service, registered once.
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub duration: HistogramVec,
    pub in_flight: IntGauge,
    pub pool_connections: IntGauge,
    pub pool_idle: IntGauge,
    pub checkout: Histogram,
    pub db_up: IntGauge,
    pub cache_requests: IntCounterVec,
    pub cache_entries: IntGauge,
    pub cache_bytes: IntGauge,
    pub changelog_seq: IntGauge,
    pub changelog_lag: IntGauge,
    pub sync_items: IntCounterVec,
    pub rate_limited: IntCounterVec,
}

/// The service's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics::new().expect("the metrics register"))
}

impl Metrics {
    fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let latency = vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ];
        let m = Metrics {
            requests: IntCounterVec::new(
                Opts::new(
                    "circles_http_requests_total",
                    "Answers given, by route template and status",
                ),
                &["method", "route", "status"],
            )?,
            duration: HistogramVec::new(
                HistogramOpts::new(
                    "circles_http_request_duration_seconds",
                    "Time to answer, by route template",
                )
                .buckets(latency.clone()),
                &["method", "route"],
            )?,
            in_flight: IntGauge::new("circles_http_requests_in_flight", "Requests being answered")?,
            pool_connections: IntGauge::new(
                "circles_db_pool_connections",
                "Database connections open in the pool",
            )?,
            pool_idle: IntGauge::new(
                "circles_db_pool_idle_connections",
                "Database connections idle in the pool",
            )?,
            checkout: Histogram::with_opts(
                HistogramOpts::new(
                    "circles_db_checkout_seconds",
                    "Time waiting for a pooled database connection",
                )
                .buckets(latency),
            )?,
            db_up: IntGauge::new("circles_db_up", "1 while the database answers")?,
            cache_requests: IntCounterVec::new(
                Opts::new(
                    "circles_response_cache_requests_total",
                    "Cacheable reads by outcome: hit, stale (answered, recomputed behind), miss",
                ),
                &["outcome"],
            )?,
            cache_entries: IntGauge::new("circles_response_cache_entries", "Answers kept")?,
            cache_bytes: IntGauge::new("circles_response_cache_bytes", "Bytes of answers kept")?,
            changelog_seq: IntGauge::new(
                "circles_changelog_latest_seq",
                "Sequence number of the change log's latest entry",
            )?,
            changelog_lag: IntGauge::new(
                "circles_changelog_lag_seconds",
                "Seconds since the change log's latest entry",
            )?,
            sync_items: IntCounterVec::new(
                Opts::new("circles_sync_items_total", "Sync items by kind and outcome"),
                &["kind", "outcome"],
            )?,
            rate_limited: IntCounterVec::new(
                Opts::new(
                    "circles_rate_limited_total",
                    "Requests refused by a rate limit",
                ),
                &["policy"],
            )?,
            registry,
        };
        let r = &m.registry;
        r.register(Box::new(m.requests.clone()))?;
        r.register(Box::new(m.duration.clone()))?;
        r.register(Box::new(m.in_flight.clone()))?;
        r.register(Box::new(m.pool_connections.clone()))?;
        r.register(Box::new(m.pool_idle.clone()))?;
        r.register(Box::new(m.checkout.clone()))?;
        r.register(Box::new(m.db_up.clone()))?;
        r.register(Box::new(m.cache_requests.clone()))?;
        r.register(Box::new(m.cache_entries.clone()))?;
        r.register(Box::new(m.cache_bytes.clone()))?;
        r.register(Box::new(m.changelog_seq.clone()))?;
        r.register(Box::new(m.changelog_lag.clone()))?;
        r.register(Box::new(m.sync_items.clone()))?;
        r.register(Box::new(m.rate_limited.clone()))?;
        Ok(m)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The middleware: counts and times every answer by its route template.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let m = metrics();
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    m.in_flight.inc();
    let res = next.call(req).await;
    m.in_flight.dec();
    let (route, status) = match &res {
        Ok(r) => (
            r.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into()),
            r.status().as_u16(),
        ),
        Err(e) => (
            "unmatched".into(),
            e.as_response_error().status_code().as_u16(),
        ),
    };
    m.requests
        .with_label_values(&[method.as_str(), route.as_str(), &status.to_string()])
        .inc();
    m.duration
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    res
}
