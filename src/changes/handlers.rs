//! `GET /v1/changes`: the change feed mirrors follow.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::changelog::{horizon, latest_after, Entry, ListingType};
use crate::db::DbConnection;
use crate::error::{ApiError, FieldError, Problem};
use crate::events::dto::EventResponse;
use crate::events::queries::Event;
use crate::extract::{str_list, Query};
use crate::groups::dto::GroupResponse;
use crate::groups::queries::Group;
use crate::http::{read_response, resource};
use crate::listing::store;
use crate::pagination::{Cursor, DEFAULT_LIMIT, MAX_LIMIT};
use crate::resources::dto::ResourceResponse;
use crate::resources::queries::Resource;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/changes", "GET, HEAD").route(web::get().to(list_changes)));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_changes))]
pub struct Api;

/// Position in the feed and filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Cursor of the last change you processed (`next_cursor` of your last
    /// page); omit to start from the beginning.
    pub after: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 100)]
    pub limit: Option<u32>,
    /// Listing types, any of (all by default).
    #[param(value_type = Option<Vec<ListingType>>, style = Form, explode = false, example = "group,event")]
    #[serde(rename = "type")]
    pub types: Option<String>,
}

/// What changed.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// The listing is public; `data` is what a public read shows now.
    Upsert,
    /// The listing is no longer public (deleted, unpublished or archived): remove it.
    Delete,
}

/// A listing as a public read shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ListingData {
    Group(Box<GroupResponse>),
    Event(Box<EventResponse>),
    Resource(Box<ResourceResponse>),
}

/// One entry of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Change {
    /// Resume after this entry with `after=<cursor>`.
    pub cursor: String,
    #[serde(rename = "type")]
    pub listing_type: ListingType,
    /// The listing's id.
    pub id: String,
    pub action: ChangeAction,
    /// When the change was committed.
    pub changed_at: DateTime<Utc>,
    /// The listing (for `upsert`), `null` for `delete`.
    pub data: Option<ListingData>,
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub data: Vec<Change>,
    /// Pass as `after` next time; present even when the page is empty, so you
    /// can poll from where you are.
    pub next_cursor: String,
    /// Whether more entries are available right now.
    pub has_more: bool,
}

fn seq_cursor(seq: i64) -> String {
    Cursor::after(seq.to_string()).encode()
}

fn parse_after(after: Option<&str>) -> Result<i64, ApiError> {
    let Some(a) = after.filter(|a| !a.is_empty()) else {
        return Ok(0);
    };
    Cursor::decode(a)
        .ok()
        .and_then(|c| c.after_id.parse::<i64>().ok())
        .filter(|s| *s >= 0)
        .ok_or_else(|| {
            ApiError::InvalidQuery(FieldError::new(
                "after",
                "is not a cursor of the change feed",
            ))
        })
}

fn render(conn: &mut DbConnection, e: &Entry) -> Result<Change, ApiError> {
    let listing_type = ListingType::parse(&e.entity_type)
        .ok_or_else(|| ApiError::internal("unknown entity type in change log"))?;
    let data = match listing_type {
        ListingType::Group => store::public_view::<Group>(conn, &e.entity_id)?
            .map(|r| ListingData::Group(Box::new(r))),
        ListingType::Event => store::public_view::<Event>(conn, &e.entity_id)?
            .map(|r| ListingData::Event(Box::new(r))),
        ListingType::Resource => store::public_view::<Resource>(conn, &e.entity_id)?
            .map(|r| ListingData::Resource(Box::new(r))),
    };
    Ok(Change {
        cursor: seq_cursor(e.seq),
        listing_type,
        id: e.entity_id.clone(),
        action: if data.is_some() {
            ChangeAction::Upsert
        } else {
            ChangeAction::Delete
        },
        changed_at: e.changed_at.and_utc(),
        data,
    })
}

/// Follow the changes to the public directory.
///
/// Every create, update, publish, unpublish and delete of a group, event or
/// resource, in commit order. `upsert` entries carry the listing as a public
/// read shows it; `delete` entries are tombstones for listings that are no
/// longer public. An entry superseded by a later change to the same listing
/// is skipped, so walking the feed from the start reproduces the public
/// directory exactly. Keep `next_cursor` and poll with `after`. A cursor the
/// service can no longer serve answers `410 Gone`: resynchronize from the
/// start.
#[utoipa::path(
    get, path = "/v1/changes", tag = "sync", operation_id = "listChanges",
    summary = "Follow the change feed",
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of changes", body = ChangePage,
            headers(("ETag" = String, description = "Validator for `If-None-Match` (and `If-Match` on a listing)"))),
        (status = 400, description = "Invalid cursor, limit or type", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The cursor is older than the feed keeps: resynchronize from the start", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn list_changes(
    state: web::Data<AppState>,
    query: Query<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = parse_after(query.0.after.as_deref())?;
    let limit = query.0.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::InvalidQuery(FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )));
    }
    if let Some(raw) = query.0.types.as_deref() {
        for item in raw.split(',') {
            crate::extract::no_empty_item("type", item.trim())?;
        }
    }
    let types = match str_list(query.0.types.as_deref()).filter(|l| !l.is_empty()) {
        None => ListingType::ALL.to_vec(),
        Some(list) => list
            .iter()
            .map(|t| {
                ListingType::parse(t).ok_or_else(|| {
                    ApiError::InvalidQuery(
                        FieldError::new(
                            "type",
                            format!("unknown value `{t}`, expected one of: group, event, resource"),
                        )
                        .with_allowed(
                            ListingType::ALL
                                .iter()
                                .map(|t| t.as_str().to_owned())
                                .collect(),
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let page = state
        .db(move |conn| {
            if after > 0 && after < horizon(conn)? {
                return Err(ApiError::Gone(
                    "this cursor is older than the change feed keeps; resynchronize: list the directory again and follow the feed from the start".into(),
                ));
            }
            let mut entries = latest_after(conn, after, &types, i64::from(limit) + 1)?;
            let has_more = entries.len() > limit as usize;
            entries.truncate(limit as usize);
            let data = entries.iter().map(|e| render(conn, e)).collect::<Result<Vec<_>, _>>()?;
            let next_cursor = entries.last().map_or_else(|| seq_cursor(after), |e| seq_cursor(e.seq));
            Ok(ChangePage { data, next_cursor, has_more })
        })
        .await?;
    Ok(read_response(0, false).json(page))
}
