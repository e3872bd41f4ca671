//! Liveness and readiness probes.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Probe answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process is up.
///
/// Answers `200` as long as the process runs, without touching the
/// database. Point a container or load balancer liveness probe here.
#[utoipa::path(
    get, path = "/healthz", tag = "operations", operation_id = "healthz",
    summary = "Liveness probe",
    responses((status = 200, description = "The process is up", body = Health)),
    security(())
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "ok".into(),
        })
}

/// Readiness: the database answers.
///
/// Answers `200` while the database answers, `503` otherwise: on
/// PostgreSQL as a watch sees it (a round trip every second, so `503`
/// within about a second of the server going away, and while it is `503`
/// every request that needs the database is `503` at once); on SQLite, when
/// a connection can be taken and answers a query. Send traffic to an
/// instance only while this is `200`.
#[utoipa::path(
    get, path = "/readyz", tag = "operations", operation_id = "readyz",
    summary = "Readiness probe",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait before retrying"))),
    ),
    security(())
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // On PostgreSQL the watch (below) keeps the answer current: requests
    // fail fast exactly when this says unready. A SQLite file is probed.
    if !state.db_health.is_up() {
        return Err(ApiError::database_unavailable());
    }
    if !watched(&state) {
        probe(&state.pool).await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "ready".into(),
        }))
}

/// Whether [`watch`] watches this database (PostgreSQL).
fn watched(state: &AppState) -> bool {
    crate::db::Backend::from_url(&state.config.database_url) == crate::db::Backend::Postgres
}

/// Metrics for Prometheus.
///
/// The text exposition format (0.0.4): request counts and latency by route
/// template and status, requests in flight, the database pool, the response
/// cache, the change log's latest entry and its age, sync items by outcome,
/// rate-limit refusals. Labels carry route templates and statuses, never
/// ids, query values or tokens.
#[utoipa::path(
    get, path = "/metrics", tag = "operations", operation_id = "metrics",
    summary = "Prometheus metrics",
    responses((status = 200, description = "The metrics, in the Prometheus text format", content_type = "text/plain", body = String)),
    security(())
)]
pub async fn metrics(
    state: web::Data<AppState>,
    cache: web::Data<crate::cache::ResponseCache>,
) -> HttpResponse {
    let m = crate::metrics::metrics();
    let pool = state.pool.state();
    m.pool_connections.set(i64::from(pool.connections));
    m.pool_idle.set(i64::from(pool.idle_connections));
    m.db_up.set(i64::from(state.db_health.is_up()));
    let (entries, bytes) = cache.size();
    m.cache_entries
        .set(i64::try_from(entries).unwrap_or(i64::MAX));
    m.cache_bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
    if state.db_health.is_up() {
        if let Ok(Some((seq, at))) = state.db(|conn| Ok(crate::changelog::latest(conn)?)).await {
            m.changelog_seq.set(seq);
            let lag = chrono::Utc::now().naive_utc() - at;
            m.changelog_lag.set(lag.num_seconds().max(0));
        }
    }
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m.render())
}

/// One quick round trip to the database, on a connection taken within
/// [`PROBE_TIMEOUT`].
async fn probe(pool: &crate::db::Pool) -> Result<(), ApiError> {
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get_timeout(PROBE_TIMEOUT)?;
        crate::db::ping(&mut conn).map_err(|e| {
            log::warn!("database ping failed: {e}");
            ApiError::database_unavailable()
        })
    })
    .await?
}

/// The longest a probe waits for a connection.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);

/// Watch a PostgreSQL server: a round trip every second (every quarter
/// second while it is down) on a connection of the watch's own, so that
/// requests fail fast while the server is away (`503` at once, not after
/// waiting for a connection) and the service recovers on its own when it is
/// back. A busy pool never looks like an outage. (A SQLite file does not go
/// away: nothing to watch.) Runs beside the server.
pub async fn watch(state: web::Data<AppState>) {
    if !watched(&state) {
        return std::future::pending().await;
    }
    let mut conn: Option<crate::db::DbConnection> = None;
    loop {
        let url = state.config.database_url.clone();
        let (kept, up) = web::block(move || {
            use diesel::Connection;
            let mut c = match conn {
                Some(c) => c,
                None => match crate::db::DbConnection::establish(&url) {
                    Ok(c) => c,
                    Err(e) => {
                        log::debug!("database watch: {e}");
                        return (None, false);
                    }
                },
            };
            match crate::db::ping(&mut c) {
                Ok(()) => (Some(c), true),
                Err(_) => (None, false),
            }
        })
        .await
        .unwrap_or((None, false));
        conn = kept;
        if state.db_health.set_up(up) {
            if up {
                log::info!("the database answers again");
            } else {
                log::warn!("the database stopped answering; requests answer 503 until it is back");
            }
        }
        let pause = if up { 1000 } else { 250 };
        actix_web::rt::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// The probes, for the OpenAPI document (routed in `crate::startup`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz, metrics))]
pub struct Api;
