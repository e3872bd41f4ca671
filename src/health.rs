//! Liveness and readiness probes.

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
/// Answers `200` when a database connection can be taken from the pool and
/// answers a query, `503` otherwise. Send traffic to an instance only while
/// this is `200`.
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
    state
        .db(|conn| {
            crate::db::ping(conn)
                .map_err(|e| ApiError::Unavailable(format!("database ping failed: {e}")))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "ready".into(),
        }))
}

/// The probes, for the OpenAPI document (routed in `crate::startup`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz, readyz))]
pub struct Api;
