//! Calendar feed endpoints: a group's, an organization's, and the events'.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::auth::MaybeAuthenticated;
use crate::error::{ApiError, Problem};
use crate::events::handlers::{EventListQuery, MAX_EVENTS_PER_WINDOW};
use crate::events::queries::{self as event_queries, Event, EventFilter};
use crate::extract::{uuid_path, Query};
use crate::groups::queries::Group;
use crate::groups::search::GroupSearch;
use crate::http::{read_response, resource};
use crate::listing::store;
use crate::pagination::PageRequest;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/groups/{id}/calendar.ics", "GET, HEAD").route(web::get().to(group_calendar)),
    )
    .service(
        resource("/organizations/{id_or_slug}/calendar.ics", "GET, HEAD")
            .route(web::get().to(organization_calendar)),
    )
    .service(resource("/events.ics", "GET, HEAD").route(web::get().to(events_calendar)));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(group_calendar, organization_calendar, events_calendar))]
pub struct Api;

fn ics(state: &AppState, body: String, authenticated: bool) -> HttpResponse {
    read_response(state.config.cache_max_age, authenticated)
        .insert_header((header::CONTENT_TYPE, super::CONTENT_TYPE))
        .body(body)
}

/// A group's calendar feed.
///
/// The group's meetings (one repeating event with its RRULE and time zone)
/// and its published events, as RFC 5545 iCalendar: subscribe to the URL in
/// any calendar app. Addresses follow the group's visibility settings. With
/// its token, an organization also gets its own draft group and draft events,
/// with every detail, to check them before publishing.
#[utoipa::path(
    get, path = "/v1/groups/{id}/calendar.ics", tag = "calendars", operation_id = "getGroupCalendar",
    summary = "A group's calendar feed",
    params(("id" = String, Path, description = "The group id (UUID)")),
    responses(
        (status = 200, description = "iCalendar feed", content_type = "text/calendar", body = String),
    ),
    security((), ("bearer" = []))
)]
pub async fn group_calendar(
    state: web::Data<AppState>,
    path: web::Path<String>,
    caller: MaybeAuthenticated,
) -> Result<HttpResponse, ApiError> {
    let id = uuid_path("id", &path)?;
    let viewer = caller.0.as_ref().map(|c| c.organization_id.clone());
    let body = state
        .db(move |conn| {
            let (row, owner) = store::find_readable::<Group>(conn, &id, viewer.as_deref())?;
            let groups = store::responses::<Group>(conn, std::slice::from_ref(&row), |_| owner)?;
            let filter = EventFilter {
                groups: Some(vec![row.id.clone()]),
                drafts_of: owner.then(|| row.organization_id.clone()),
                ..Default::default()
            };
            let rows = event_queries::list_public(conn, &filter, MAX_EVENTS_PER_WINDOW)?;
            let events = store::responses::<Event>(conn, &rows, |_| owner)?;
            Ok(super::render(&row.name, &groups, &events))
        })
        .await?;
    Ok(ics(&state, body, caller.0.is_some()))
}

/// An organization's calendar feed.
///
/// All its published groups' meetings and its published events.
#[utoipa::path(
    get, path = "/v1/organizations/{id_or_slug}/calendar.ics", tag = "calendars", operation_id = "getOrganizationCalendar",
    summary = "An organization's calendar feed",
    params(("id_or_slug" = String, Path, description = "The organization's id or slug", example = "friends-of-ash")),
    responses(
        (status = 200, description = "iCalendar feed", content_type = "text/calendar", body = String),
        (status = 404, description = "No such organization", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn organization_calendar(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let body = state
        .db(move |conn| {
            let org = crate::organizations::queries::find(conn, &key)?
                .ok_or_else(|| ApiError::not_found("organization"))?;
            let mut groups = Vec::new();
            let mut page = PageRequest::new(Some(100), None)?;
            let filter = GroupSearch {
                organizations: Some(vec![org.id.clone()]),
                ..Default::default()
            };
            loop {
                let (_, hits) = crate::groups::search::page(conn, &filter, &page)?;
                let more = hits.len() > page.limit as usize;
                let rows: Vec<_> = hits
                    .into_iter()
                    .take(page.limit as usize)
                    .map(|h| h.group)
                    .collect();
                groups.extend(store::responses::<Group>(conn, &rows, |_| false)?);
                match rows.last() {
                    Some(last) if more => {
                        page.cursor = Some(crate::pagination::Cursor::after(&last.id))
                    }
                    _ => break,
                }
            }
            let filter = EventFilter {
                organizations: Some(vec![org.id.clone()]),
                ..Default::default()
            };
            let rows = event_queries::list_public(conn, &filter, MAX_EVENTS_PER_WINDOW)?;
            let events = store::responses::<Event>(conn, &rows, |_| false)?;
            Ok(super::render(&org.name, &groups, &events))
        })
        .await?;
    Ok(ics(&state, body, false))
}

/// The events' calendar feed.
///
/// Published events matching the same filters as `GET /v1/events`; with
/// `from` and `to`, the events that occur in that window. `limit` and
/// `cursor` are checked like everywhere else but do not page the feed: it
/// holds up to 2000 events.
#[utoipa::path(
    get, path = "/v1/events.ics", tag = "calendars", operation_id = "getEventsCalendar",
    summary = "Events as a calendar feed",
    params(EventListQuery),
    responses(
        (status = 200, description = "iCalendar feed", content_type = "text/calendar", body = String),
        (status = 400, description = "Invalid filter, window, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn events_calendar(
    state: web::Data<AppState>,
    query: Query<EventListQuery>,
) -> Result<HttpResponse, ApiError> {
    // Validated like the JSON list (a bad `limit` or `cursor` is a 400),
    // though the feed is not paged.
    crate::pagination::PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let (filter, _) = query.0.filter()?;
    let body = state
        .db(move |conn| {
            let rows = event_queries::list_public(conn, &filter, MAX_EVENTS_PER_WINDOW)?;
            let events = store::responses::<Event>(conn, &rows, |_| false)?;
            Ok(super::render("Circles events", &[], &events))
        })
        .await?;
    Ok(ics(&state, body, false))
}
