//! Group endpoints: public reads and the owning organization's writes.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::queries::{self, Group};
use super::search::{self, Facet, GroupSearch, GroupSort, MeetsWhen};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{language_list, str_list, vocab_list, Query};
use crate::geo::Near;
use crate::http::page_response;
use crate::listing::routes::{self, Docs, Endpoints};
use crate::listing::store;
use crate::pagination::{split_page, PageRequest};
use crate::search::Keywords;
use crate::state::AppState;
use crate::vocab::*;

/// `GET /v1/groups` here; the endpoints every listing has in
/// [`crate::listing::routes`], with the words of [`Docs`] below.
pub fn configure(cfg: &mut web::ServiceConfig) {
    routes::configure::<Group>(cfg, web::get().to(list_groups));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_groups), components(schemas(GroupWrite, GroupResponse)))]
pub struct Api;

/// Filters of the group list. A comma-separated value means "any of";
/// different filters combine with AND.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GroupListQuery {
    /// Topics, any of.
    #[param(value_type = Option<Vec<Topic>>, style = Form, explode = false, example = "grief,trauma")]
    pub topic: Option<String>,
    /// Formats, any of.
    #[param(value_type = Option<Vec<Format>>, style = Form, explode = false, example = "online,hybrid")]
    pub format: Option<String>,
    /// Enrollment kinds, any of.
    #[param(value_type = Option<Vec<Enrollment>>, style = Form, explode = false, example = "rolling")]
    pub enrollment: Option<String>,
    /// Facilitation kinds, any of.
    #[param(value_type = Option<Vec<Facilitation>>, style = Form, explode = false, example = "peer_led")]
    pub facilitation: Option<String>,
    /// BCP 47 language tags, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "en,es")]
    pub language: Option<String>,
    /// Recovery stages, any of.
    #[param(value_type = Option<Vec<RecoveryStage>>, style = Form, explode = false, example = "moratorium")]
    pub stage: Option<String>,
    /// Kinds of support, any of.
    #[param(value_type = Option<Vec<SupportType>>, style = Form, explode = false, example = "emotional")]
    pub support_type: Option<String>,
    /// Cost kinds, any of.
    #[param(value_type = Option<Vec<CostKind>>, style = Form, explode = false, example = "free,donation")]
    pub cost: Option<String>,
    /// Organization ids or slugs, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "friends-of-ash")]
    pub organization: Option<String>,
    /// Only groups that do (or do not) take new members.
    #[param(example = true)]
    pub accepting_new_members: Option<bool>,
    /// Only groups changed at or after this instant (RFC 3339).
    #[param(example = "2026-11-01T00:00:00Z")]
    pub updated_since: Option<DateTime<Utc>>,
    /// Keywords, searched in the name, summary, description, topics and the
    /// organization's name, with English stemming (`parents` finds
    /// `parent`); every word must match, and the last one may be the start
    /// of a word (type-ahead). Common words such as `the` or `for` are
    /// ignored. Results come best match first unless `sort` says otherwise.
    #[param(max_length = 200, example = "grief")]
    pub q: Option<String>,
    /// A point, `<latitude>,<longitude>`: only groups within `radius_km` of
    /// it, nearest first unless `sort` says otherwise; each carries
    /// `distance_km`. A group whose place is `area_only` or `on_request` is
    /// placed at the centre of its area (a 0.1° cell), never at its street.
    #[param(example = "51.5074,-0.1278")]
    pub near: Option<String>,
    /// Radius around `near`, in km: more than 0, at most 500 (default 25).
    #[param(minimum = 0, maximum = 500, example = 10)]
    pub radius_km: Option<f64>,
    /// With `near`: also list online groups (they have no distance, and
    /// come after the others when sorted by distance).
    #[param(example = true)]
    pub include_online: Option<bool>,
    /// Days the group meets on (in its own time zone), any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "mon,wed")]
    pub day: Option<String>,
    /// Only meetings that start at or after this local time (`HH:MM`, the
    /// group's own time zone).
    #[param(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "18:00")]
    pub time_from: Option<String>,
    /// Only meetings that end at or before this local time (`HH:MM`, the
    /// group's own time zone; `00:00` means midnight at the end of the day).
    #[param(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "21:00")]
    pub time_to: Option<String>,
    /// Cohorts that have not begun yet and start before this date.
    #[param(example = "2027-02-01")]
    pub starts_before: Option<chrono::NaiveDate>,
    /// Groups whose meetings are set in this IANA time zone, e.g. online
    /// groups that meet at a time that suits you.
    #[param(example = "Europe/London")]
    pub timezone: Option<String>,
    /// The order: `relevance` (needs `q`; the default with it), `distance`
    /// (needs `near`; the default with it), `next_meeting`, `name`,
    /// `updated` (most recent first) or `created` (oldest first, the default
    /// otherwise). Ties are broken by id (equal relevance: by the order the
    /// groups were listed), so pages never overlap.
    #[param(value_type = Option<GroupSort>, example = "next_meeting")]
    pub sort: Option<GroupSort>,
    /// Add `total`, the number of matching groups over all pages.
    #[param(example = true)]
    pub include_total: Option<bool>,
    /// Add counts per value for these facets, over all matching groups:
    /// `topic`, `format`, `language`.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "topic,format,language")]
    pub facets: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl GroupListQuery {
    fn search(&self) -> Result<GroupSearch, ApiError> {
        let nonempty = |v: Option<Vec<String>>| v.filter(|l| !l.is_empty());
        let keywords = self
            .q
            .as_deref()
            .map(Keywords::parse)
            .transpose()?
            .flatten();
        let near = self
            .near
            .as_deref()
            .map(|n| Near::parse(n, self.radius_km))
            .transpose()?;
        if near.is_none() {
            if self.radius_km.is_some() {
                return Err(needs_near("radius_km"));
            }
            if self.include_online.is_some() {
                return Err(needs_near("include_online"));
            }
        }
        let timezone = match &self.timezone {
            Some(tz) if tz.parse::<chrono_tz::Tz>().is_err() => {
                return Err(ApiError::InvalidQuery(FieldError::new(
                    "timezone",
                    "must be an IANA time zone name such as `Europe/London`",
                )))
            }
            tz => tz.clone(),
        };
        Ok(GroupSearch {
            topics: vocab_list("topic", self.topic.as_deref())?.filter(|l| !l.is_empty()),
            formats: vocab_list("format", self.format.as_deref())?.filter(|l| !l.is_empty()),
            enrollments: vocab_list("enrollment", self.enrollment.as_deref())?
                .filter(|l| !l.is_empty()),
            facilitations: vocab_list("facilitation", self.facilitation.as_deref())?
                .filter(|l| !l.is_empty()),
            languages: language_list("language", self.language.as_deref())?,
            stages: vocab_list("stage", self.stage.as_deref())?.filter(|l| !l.is_empty()),
            support_types: vocab_list("support_type", self.support_type.as_deref())?
                .filter(|l| !l.is_empty()),
            costs: vocab_list("cost", self.cost.as_deref())?.filter(|l| !l.is_empty()),
            organizations: nonempty(str_list(self.organization.as_deref())),
            accepting_new_members: self.accepting_new_members,
            updated_since: self.updated_since.map(|t| t.naive_utc()),
            keywords,
            near,
            include_online: self.include_online.unwrap_or(false),
            meets: MeetsWhen::parse(
                self.day.as_deref(),
                self.time_from.as_deref(),
                self.time_to.as_deref(),
            )?,
            starts_between: self.starts_before.map(|d| (Utc::now().date_naive(), d)),
            timezone,
            sort: self.sort,
        })
    }
}

fn needs_near(name: &str) -> ApiError {
    ApiError::InvalidQuery(FieldError::new(name, "is only allowed with `near`"))
}

/// List published groups.
///
/// The public directory of support groups, oldest first, with filters.
/// Locations and join links follow each group's visibility settings.
#[utoipa::path(
    get, path = "/v1/groups", tag = "groups", operation_id = "listGroups",
    summary = "List and filter published groups",
    params(GroupListQuery),
    responses(
        (status = 200, description = "A page of groups", body = GroupPage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"),
                    ("Cache-Control" = String, description = "Public caching directives"))),
        (status = 400, description = "Invalid filter value, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn list_groups(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<GroupListQuery>,
) -> Result<HttpResponse, ApiError> {
    let search = query.0.search()?;
    let sort = search.effective_sort()?;
    let facets = Facet::parse_list(query.0.facets.as_deref())?;
    let include_total = query.0.include_total.unwrap_or(false);
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let limit = page.limit;
    if sort == GroupSort::NextMeeting && state.db(|c| Ok(queries::has_stale_derived(c)?)).await? {
        // Meetings that have begun since the last refresh move on: the
        // maintenance task does it (no read writes), this waits for it.
        state.maintenance.refreshed().await;
    }
    let (data, next_cursor, total, facets) = state
        .db(move |conn| {
            let (sort, hits) = search::page(conn, &search, &page)?;
            let (hits, next) = split_page(hits, limit, |h| search::cursor_for(sort, h));
            let rows: Vec<_> = hits.iter().map(|h| h.group.clone()).collect();
            let mut data = store::responses::<Group>(conn, &rows, |_| false)?;
            for (g, h) in data.iter_mut().zip(&hits) {
                if search.near.is_some() {
                    g.distance_km = Some(h.distance.map(|d| {
                        crate::geo::shown_distance(d, h.group.location_visibility.as_deref())
                    }));
                }
                // Sorted by relevance: its tier (3 best).
                g.relevance = h.tier.map(|t| t as f64);
            }
            let total = include_total
                .then(|| search::total(conn, &search))
                .transpose()?;
            let facets = (!facets.is_empty())
                .then(|| search::facets(conn, &search, &facets))
                .transpose()?;
            Ok((data, next, total, facets))
        })
        .await?;
    let mut res = page_response(&state.config, &req, false, next_cursor.as_deref());
    Ok(res.json(GroupPage {
        data,
        next_cursor,
        total,
        facets,
    }))
}

impl Endpoints for Group {
    const DOCS: Docs = Docs {
        get: "Published groups are public. With a token, an organization also sees its\n\
            own drafts and archived groups, with every detail.",
        create: "The group belongs to the token's organization. It starts as a `draft`\n\
            unless `status` says otherwise; publish it with\n\
            `PATCH /v1/groups/{id}` and `{\"status\": \"published\"}`.",
        replace: "Sends the whole group; fields left out take their defaults.",
        update: "Send only what changes; `null` clears an optional field. The result is\n\
            validated like a full write. Publish with `{\"status\": \"published\"}`.",
        delete: "The group disappears from every read at once.",
        id_example: Some("0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f01"),
        update_example_status: "published",
        read_header: (
            "Cache-Control",
            "Public caching directives, or `private, no-store` with a token",
        ),
    };
}
