//! A group's events and meetings: `GET /v1/groups/{id}/events` and
//! `GET /v1/groups/{id}/occurrences`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::GroupOccurrences;
use super::queries::Group;
use crate::auth::MaybeAuthenticated;
use crate::error::{ApiError, Problem};
use crate::events::dto::EventPage;
use crate::events::queries::{self as event_queries, Event, EventFilter};
use crate::extract::{uuid_path, Query};
use crate::http::{page_response, read_response, resource};
use crate::listing::store;
use crate::pagination::{split_page, PageRequest};
use crate::recurrence::{check_window, OccurrenceTimes, MAX_OCCURRENCES_PER_LISTING};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/groups/{id}/events", "GET, HEAD").route(web::get().to(list_group_events)),
    )
    .service(
        resource("/groups/{id}/occurrences", "GET, HEAD")
            .route(web::get().to(list_group_occurrences)),
    );
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_group_events, list_group_occurrences))]
pub struct Api;

/// Paging of a group's events.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GroupEventsQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// List a group's events.
///
/// The published events an organization tied to this group (for example a
/// cohort's first session or an open day), a page at a time. With its token,
/// the organization also sees its own draft group and draft events here.
#[utoipa::path(
    get, path = "/v1/groups/{id}/events", tag = "events", operation_id = "listGroupEvents",
    summary = "List a group's events",
    params(("id" = String, Path, description = "The group id (UUID)"), GroupEventsQuery),
    responses(
        (status = 200, description = "A page of events", body = EventPage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "Invalid id, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn list_group_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: Query<GroupEventsQuery>,
    caller: MaybeAuthenticated,
) -> Result<HttpResponse, ApiError> {
    let id = uuid_path("id", &path)?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let limit = page.limit;
    let viewer = caller.0.as_ref().map(|c| c.organization_id.clone());
    let (data, next_cursor) = state
        .db(move |conn| {
            let (group, owner) = store::find_readable::<Group>(conn, &id, viewer.as_deref())?;
            let filter = EventFilter {
                groups: Some(vec![id]),
                drafts_of: owner.then_some(group.organization_id),
                ..Default::default()
            };
            let hits = event_queries::list_page(conn, &filter, &page)?;
            let (hits, next) = split_page(hits, limit, |h| h.cursor());
            let rows: Vec<_> = hits.into_iter().map(|h| h.event).collect();
            Ok((store::responses::<Event>(conn, &rows, |_| owner)?, next))
        })
        .await?;
    let mut res = page_response(
        &state.config,
        &req,
        caller.0.is_some(),
        next_cursor.as_deref(),
    );
    Ok(res.json(EventPage { data, next_cursor }))
}

/// Window of a group's meetings.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// Start of the window (RFC 3339); now by default. At most five years in
    /// the past.
    #[param(example = "2027-01-01T00:00:00Z")]
    pub from: Option<DateTime<Utc>>,
    /// End of the window (exclusive, at most 366 days after `from` and five
    /// years from now); 90 days after `from` by default.
    #[param(example = "2027-04-01T00:00:00Z")]
    pub to: Option<DateTime<Utc>>,
}

/// List a group's meetings in a window.
///
/// Computed from the group's schedule in its own time zone, within its
/// cohort dates; at most 500. With its token, an organization also sees its
/// own draft groups' meetings.
#[utoipa::path(
    get, path = "/v1/groups/{id}/occurrences", tag = "groups", operation_id = "listGroupOccurrences",
    summary = "List a group's meetings",
    params(("id" = String, Path, description = "The group id (UUID)"), WindowQuery),
    responses(
        (status = 200, description = "The meetings in the window", body = GroupOccurrences,
            headers(("ETag" = String, description = "Validator for `If-None-Match` (and `If-Match` on a listing)"))),
        (status = 400, description = "Invalid id or window", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn list_group_occurrences(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: Query<WindowQuery>,
    caller: MaybeAuthenticated,
) -> Result<HttpResponse, ApiError> {
    let id = uuid_path("id", &path)?;
    let from = query.0.from.unwrap_or_else(Utc::now);
    let to = query.0.to.unwrap_or(from + Duration::days(90));
    let (from, to) =
        check_window(Some(from), Some(to))?.ok_or_else(|| ApiError::internal("window given"))?;
    let viewer = caller.0.as_ref().map(|c| c.organization_id.clone());
    let body = state
        .db(move |conn| {
            let (row, _) = store::find_readable::<Group>(conn, &id, viewer.as_deref())?;
            let w = store::writes::<Group>(conn, std::slice::from_ref(&row))?
                .pop()
                .ok_or_else(|| ApiError::internal("no write built"))?;
            let (occurrences, truncated) = w.occurrences(from, to, MAX_OCCURRENCES_PER_LISTING);
            let data = match w.timezone() {
                Some(tz) => occurrences
                    .iter()
                    .map(|o| OccurrenceTimes::new(o, tz))
                    .collect(),
                None => vec![],
            };
            Ok(GroupOccurrences {
                group_id: row.id,
                data,
                truncated,
            })
        })
        .await?;
    Ok(read_response(state.config.cache_max_age, caller.0.is_some()).json(body))
}
