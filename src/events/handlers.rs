//! Event endpoints, occurrence listings, and a group's events and meetings.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::queries::{self, Event, EventFilter};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{str_list, vocab_list, Query};
use crate::http::page_response;
use crate::listing::routes::{self, Docs, Endpoints};
use crate::listing::store;
use crate::pagination::{split_page, Cursor, PageRequest};
use crate::recurrence::{check_window, OccurrenceTimes, Window, MAX_OCCURRENCES_PER_LISTING};
use crate::state::AppState;
use crate::vocab::*;

/// Most events expanded for one occurrence listing or feed.
pub const MAX_EVENTS_PER_WINDOW: i64 = 2000;

/// `GET /v1/events` here; the endpoints every listing has in
/// [`crate::listing::routes`], with the words of [`Docs`] below.
pub fn configure(cfg: &mut web::ServiceConfig) {
    routes::configure::<Event>(cfg, web::get().to(list_events));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_events), components(schemas(EventWrite, EventResponse)))]
pub struct Api;

/// Filters of the event list. A comma-separated value means "any of".
/// With `from` and `to`, the answer lists dated occurrences instead of events.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// Topics, any of.
    #[param(value_type = Option<Vec<Topic>>, style = Form, explode = false, example = "grief")]
    pub topic: Option<String>,
    /// Formats, any of.
    #[param(value_type = Option<Vec<Format>>, style = Form, explode = false, example = "online")]
    pub format: Option<String>,
    /// Organization ids or slugs, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "friends-of-ash")]
    pub organization: Option<String>,
    /// Group ids, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false)]
    pub group: Option<String>,
    /// Event statuses, any of.
    #[param(value_type = Option<Vec<EventStatus>>, style = Form, explode = false, example = "scheduled")]
    pub status: Option<String>,
    /// Keywords, searched in the name, summary, description, topics and the
    /// organization's name (English stemming; the last word may be the
    /// start of a word). Events come best match first; occurrences (with
    /// `from` and `to`) stay in time order.
    #[param(max_length = 200, example = "grief")]
    pub q: Option<String>,
    /// Start of the window (RFC 3339); with `to`, occurrences are listed.
    /// At most five years in the past.
    #[param(example = "2027-01-01T00:00:00Z")]
    pub from: Option<DateTime<Utc>>,
    /// End of the window (exclusive, at most 366 days after `from` and five
    /// years from now).
    #[param(example = "2027-02-01T00:00:00Z")]
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl EventListQuery {
    pub fn filter(&self) -> Result<(EventFilter, Option<Window>), ApiError> {
        let window = check_window(self.from, self.to)?;
        let nonempty = |v: Option<Vec<String>>| v.filter(|l| !l.is_empty());
        let filter = EventFilter {
            topics: vocab_list("topic", self.topic.as_deref())?.filter(|l| !l.is_empty()),
            formats: vocab_list("format", self.format.as_deref())?.filter(|l| !l.is_empty()),
            statuses: vocab_list("status", self.status.as_deref())?.filter(|l| !l.is_empty()),
            organizations: nonempty(str_list(self.organization.as_deref())),
            groups: nonempty(str_list(self.group.as_deref())),
            window: window.map(|(f, t)| (f.naive_utc(), t.naive_utc())),
            keywords: self
                .q
                .as_deref()
                .map(crate::search::Keywords::parse)
                .transpose()?
                .flatten(),
            drafts_of: None,
        };
        Ok((filter, window))
    }
}

/// List published events, or their occurrences in a window.
///
/// Without `from`/`to`: a page of events (repeating ones once, with their
/// rule). With `from` and `to` (at most 366 days apart): every occurrence
/// starting in the window, repeating events expanded in their own time zone
/// (at most 500 per event), in start order, each with UTC and local times.
#[utoipa::path(
    get, path = "/v1/events", tag = "events", operation_id = "listEvents",
    summary = "List events or their occurrences",
    params(EventListQuery),
    responses(
        (status = 200, description = "A page of events, or of occurrences when a window is given", body = EventListing,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"),
                    ("Cache-Control" = String, description = "Public caching directives"))),
        (status = 400, description = "Invalid filter, window, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn list_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<EventListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, window) = query.0.filter()?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let limit = page.limit;
    let (body, next_cursor) = match window {
        None => {
            let (data, next) = state
                .db(move |conn| {
                    let hits = queries::list_page(conn, &filter, &page)?;
                    let (hits, next) = split_page(hits, limit, |h| h.cursor());
                    let rows: Vec<_> = hits.into_iter().map(|h| h.event).collect();
                    Ok((store::responses::<Event>(conn, &rows, |_| false)?, next))
                })
                .await?;
            (
                EventListing::Events(EventPage {
                    data,
                    next_cursor: next.clone(),
                }),
                next,
            )
        }
        Some((from, to)) => {
            let after = match &page.cursor {
                None => None,
                Some(c) => Some((
                    c.key
                        .as_deref()
                        .and_then(|k| DateTime::parse_from_rfc3339(k).ok())
                        .map(|t| t.with_timezone(&Utc))
                        .ok_or_else(|| {
                            ApiError::InvalidQuery(FieldError::new(
                                "cursor",
                                "is not a cursor of an occurrence listing",
                            ))
                        })?,
                    c.after_id.clone(),
                )),
            };
            let (data, next) = state
                .db(move |conn| {
                    let rows = queries::list_public(conn, &filter, MAX_EVENTS_PER_WINDOW)?;
                    let mut occurrences = Vec::new();
                    for r in &rows {
                        for o in r
                            .recurrence()?
                            .between(from, to, MAX_OCCURRENCES_PER_LISTING)
                            .0
                        {
                            if after
                                .as_ref()
                                .is_none_or(|(t, id)| (o.start, &r.id) > (*t, id))
                            {
                                occurrences.push((o, r));
                            }
                        }
                    }
                    occurrences.sort_by(|a, b| (a.0.start, &a.1.id).cmp(&(b.0.start, &b.1.id)));
                    occurrences.truncate(limit as usize + 1);
                    let (page_rows, next) = split_page(occurrences, limit, |(o, r)| {
                        Cursor::after_keyed(o.start.to_rfc3339(), &r.id)
                    });
                    let mut events: Vec<_> = page_rows.iter().map(|(_, r)| (*r).clone()).collect();
                    events.sort_by(|a, b| a.id.cmp(&b.id));
                    events.dedup_by(|a, b| a.id == b.id);
                    let responses = store::responses::<Event>(conn, &events, |_| false)?;
                    let data = page_rows
                        .iter()
                        .map(|(o, r)| {
                            let event = responses
                                .iter()
                                .find(|e| e.id == r.id)
                                .cloned()
                                .ok_or_else(|| ApiError::internal("missing event"))?;
                            Ok(EventOccurrence {
                                event_id: r.id.clone(),
                                times: OccurrenceTimes::new(o, r.tz()?),
                                status: r.status()?,
                                event,
                            })
                        })
                        .collect::<Result<Vec<_>, ApiError>>()?;
                    Ok((data, next))
                })
                .await?;
            (
                EventListing::Occurrences(OccurrencePage {
                    data,
                    next_cursor: next.clone(),
                }),
                next,
            )
        }
    };
    let mut res = page_response(&state.config, &req, false, next_cursor.as_deref());
    Ok(res.json(body))
}

impl Endpoints for Event {
    const DOCS: Docs = Docs {
        get: "Published events are public; an organization also sees its own drafts\n\
            with every detail when it sends its token.",
        create: "The event belongs to the token's organization; `group_id`, when given,\n\
            must be one of its groups. It is a `draft` unless `listing_status` says\n\
            otherwise.",
        replace: "Send the whole event, as for `POST /v1/events`; fields you leave out are\n\
            cleared. Send the `ETag` of your last read in `If-Match` so you never\n\
            overwrite someone else's change.",
        update: "Send only what changes; `null` clears an optional field. Cancel with\n\
            `{\"status\": \"cancelled\"}`; calendar feeds then mark it `STATUS:CANCELLED`.",
        delete: "The event disappears from every read and feed at once, and the change\n\
            feed records a tombstone so mirrors remove it too.",
        id_example: None,
        update_example_status: "cancelled",
        read_header: (
            "ETag",
            "Validator for `If-None-Match` (and `If-Match` on a listing)",
        ),
    };
}
