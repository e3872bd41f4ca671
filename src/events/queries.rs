//! Database access for events.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::dto::*;
use crate::changelog::ListingType;
use crate::db::schema::{events, support_groups};
use crate::db::DbConnection;
use crate::error::{ApiError, FieldError};
use crate::listing::{
    online_from_columns, public_location, public_online, JoinTable, Listing, LocationColumns, Meta,
    OrganizationSummary,
};
use crate::pagination::{invalid_cursor, Cursor, PageRequest};
use crate::recurrence::{OccurrenceTimes, Recurrence};
use crate::search::{
    binds, full_text, organization_condition, Bind, Indexed, Keywords, SqlBuilder,
};
use crate::vocab::*;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: String,
    pub organization_id: String,
    pub group_id: Option<String>,
    pub external_id: Option<String>,
    pub name: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub timezone: String,
    pub rrule: Option<String>,
    pub exdates: String,
    pub first_start_utc: NaiveDateTime,
    pub last_end_utc: Option<NaiveDateTime>,
    pub format: String,
    pub location_visibility: Option<String>,
    pub location_name: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_platform: Option<String>,
    pub online_join_url: Option<String>,
    pub online_join_visibility: Option<String>,
    pub online_instructions: Option<String>,
    pub registration_url: Option<String>,
    pub cost_kind: String,
    pub cost_amount: Option<String>,
    pub cost_currency: Option<String>,
    pub capacity: Option<i32>,
    pub status: String,
    pub listing_status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The columns a write sets.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
struct EventColumns {
    group_id: Option<String>,
    external_id: Option<String>,
    name: String,
    summary: Option<String>,
    description: Option<String>,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    timezone: String,
    rrule: Option<String>,
    exdates: String,
    first_start_utc: NaiveDateTime,
    last_end_utc: Option<NaiveDateTime>,
    format: &'static str,
    location_visibility: Option<&'static str>,
    location_name: Option<String>,
    street_address: Option<String>,
    locality: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_platform: Option<String>,
    online_join_url: Option<String>,
    online_join_visibility: Option<&'static str>,
    online_instructions: Option<String>,
    registration_url: Option<String>,
    cost_kind: &'static str,
    cost_amount: Option<String>,
    cost_currency: Option<String>,
    capacity: Option<i32>,
    status: &'static str,
    listing_status: &'static str,
    search_topics: Option<String>,
}

impl EventColumns {
    fn from_write(w: &EventWrite, r: &Recurrence) -> Result<EventColumns, ApiError> {
        let (first, last) = r.span();
        let l = w.location.as_ref();
        let o = w.online.as_ref();
        Ok(EventColumns {
            group_id: w.group_id.clone(),
            external_id: w.external_id.clone(),
            name: w.name.clone(),
            summary: w.summary.clone(),
            description: w.description.clone(),
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            timezone: w.timezone.clone(),
            rrule: w.rrule.clone(),
            exdates: serde_json::to_string(&w.exdates).map_err(ApiError::internal)?,
            first_start_utc: first.naive_utc(),
            last_end_utc: last.map(|t| t.naive_utc()),
            format: w.format.as_str(),
            location_visibility: l.map(|l| l.visibility.as_str()),
            location_name: l.and_then(|l| l.name.clone()),
            street_address: l.and_then(|l| l.street_address.clone()),
            locality: l.and_then(|l| l.locality.clone()),
            region: l.and_then(|l| l.region.clone()),
            postal_code: l.and_then(|l| l.postal_code.clone()),
            country: l.and_then(|l| l.country.clone()),
            latitude: l.and_then(|l| l.latitude),
            longitude: l.and_then(|l| l.longitude),
            online_platform: o.and_then(|o| o.platform.clone()),
            online_join_url: o.and_then(|o| o.join_url.clone()),
            online_join_visibility: o.map(|o| o.join_url_visibility.as_str()),
            online_instructions: o.and_then(|o| o.instructions.clone()),
            registration_url: w.registration_url.clone(),
            cost_kind: w.cost.kind.as_str(),
            cost_amount: w.cost.amount.clone(),
            cost_currency: w.cost.currency.clone(),
            capacity: w.capacity,
            status: w.status.as_str(),
            listing_status: w.listing_status.as_str(),
            search_topics: crate::search::topic_labels(&w.topics),
        })
    }
}

fn parse<V: Vocabulary>(s: &str) -> Result<V, ApiError> {
    V::parse(s).map_err(ApiError::internal)
}

impl EventRow {
    pub fn tz(&self) -> Result<chrono_tz::Tz, ApiError> {
        self.timezone
            .parse()
            .map_err(|_| ApiError::internal("stored time zone does not parse"))
    }

    pub fn exdates(&self) -> Result<Vec<NaiveDateTime>, ApiError> {
        serde_json::from_str(&self.exdates).map_err(ApiError::internal)
    }

    pub fn recurrence(&self) -> Result<Recurrence, ApiError> {
        Ok(Recurrence {
            tz: self.tz()?,
            start_local: self.starts_at,
            duration: crate::recurrence::exact_duration(self.tz()?, self.starts_at, self.ends_at),
            rrule: self.rrule.clone(),
            exdates: self.exdates()?,
        })
    }

    pub fn status(&self) -> Result<EventStatus, ApiError> {
        parse(&self.status)
    }

    /// The stored values as a write body (the base of a merge patch).
    pub fn to_write(&self, topics: &[Topic]) -> Result<EventWrite, ApiError> {
        Ok(EventWrite {
            external_id: self.external_id.clone(),
            group_id: self.group_id.clone(),
            name: self.name.clone(),
            summary: self.summary.clone(),
            description: self.description.clone(),
            topics: topics.to_vec(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            timezone: self.timezone.clone(),
            rrule: self.rrule.clone(),
            exdates: self.exdates()?,
            format: parse(&self.format)?,
            location: LocationColumns {
                visibility: self.location_visibility.as_deref(),
                name: self.location_name.as_ref(),
                street_address: self.street_address.as_ref(),
                locality: self.locality.as_ref(),
                region: self.region.as_ref(),
                postal_code: self.postal_code.as_ref(),
                country: self.country.as_ref(),
                latitude: self.latitude,
                longitude: self.longitude,
            }
            .to_location()?,
            online: online_from_columns(
                self.online_join_visibility.as_deref(),
                self.online_platform.as_ref(),
                self.online_join_url.as_ref(),
                self.online_instructions.as_ref(),
            )?,
            registration_url: self.registration_url.clone(),
            cost: crate::listing::Cost {
                kind: parse(&self.cost_kind)?,
                amount: self.cost_amount.clone(),
                currency: self.cost_currency.clone(),
            },
            capacity: self.capacity,
            status: parse(&self.status)?,
            listing_status: parse(&self.listing_status)?,
        })
    }

    pub fn to_response(
        &self,
        topics: &[Topic],
        org: OrganizationSummary,
        privileged: bool,
    ) -> Result<EventResponse, ApiError> {
        let w = self.to_write(topics)?;
        let tz = self.tz()?;
        let next = self
            .recurrence()?
            .next_after(Utc::now())
            .map(|o| OccurrenceTimes::new(&o, tz));
        let (location, online) = if privileged {
            (w.location, w.online)
        } else {
            (
                w.location.as_ref().map(public_location),
                w.online.as_ref().map(public_online),
            )
        };
        Ok(EventResponse {
            id: self.id.clone(),
            organization: org,
            group_id: w.group_id,
            external_id: w.external_id,
            name: w.name,
            summary: w.summary,
            description: w.description,
            topics: w.topics,
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            timezone: w.timezone,
            rrule: w.rrule,
            exdates: w.exdates,
            next_occurrence: next,
            format: w.format,
            location,
            online,
            registration_url: w.registration_url,
            cost: w.cost,
            capacity: w.capacity,
            status: w.status,
            listing_status: w.listing_status,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// Filters of the public event list; each `Some` list means "any of".
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub topics: Option<Vec<Topic>>,
    pub formats: Option<Vec<Format>>,
    pub statuses: Option<Vec<EventStatus>>,
    pub organizations: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    /// Only events with an occurrence that may start in this window.
    pub window: Option<(NaiveDateTime, NaiveDateTime)>,
    pub keywords: Option<Keywords>,
    /// Also this organization's drafts and archived events (its own view).
    pub drafts_of: Option<String>,
}

/// An event in the public list, with its keyword rank (lower is better).
#[derive(Debug, QueryableByName)]
pub struct EventHit {
    #[diesel(embed)]
    pub event: EventRow,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    pub rank: Option<f64>,
}

impl EventHit {
    /// Position of this hit in the list: its rank with `q`, and its id.
    pub fn cursor(&self) -> Cursor {
        match self.rank {
            Some(r) => Cursor::after_keyed(format!("{r:?}"), &self.event.id),
            None => Cursor::after(&self.event.id),
        }
    }
}

/// The `SELECT … FROM …` and the `WHERE` conditions of the public events
/// matching `f`, and the rank expression with `q`.
fn select_public(b: &mut SqlBuilder, f: &EventFilter) -> (String, String, Option<String>) {
    let mut c = vec![match &f.drafts_of {
        Some(org) => format!(
            "(e.listing_status = 'published' OR e.organization_id = {})",
            b.param(Bind::Text(org.clone()))
        ),
        None => "e.listing_status = 'published'".to_owned(),
    }];
    c.push("e.deleted_at IS NULL".to_owned());
    let mut join = String::new();
    let mut rank = None;
    if let Some(k) = &f.keywords {
        let ft = full_text(b, Indexed::Events, "e", k);
        join = ft.join;
        c.push(ft.condition);
        rank = Some(ft.rank);
    }
    if let Some(v) = &f.topics {
        c.push(format!(
            "e.id IN (SELECT event_id FROM event_topics WHERE topic {})",
            b.in_list(binds(v))
        ));
    }
    if let Some(v) = &f.formats {
        c.push(format!("e.format {}", b.in_list(binds(v))));
    }
    if let Some(v) = &f.statuses {
        c.push(format!("e.status {}", b.in_list(binds(v))));
    }
    if let Some(v) = &f.organizations {
        c.push(organization_condition(b, "e", v));
    }
    if let Some(v) = &f.groups {
        c.push(format!(
            "e.group_id {}",
            b.in_list(v.iter().cloned().map(Bind::Text))
        ));
    }
    if let Some((from, to)) = f.window {
        let to = b.param(Bind::Timestamp(to));
        let from = b.param(Bind::Timestamp(from));
        c.push(format!(
            "e.first_start_utc < {to} AND (e.last_end_utc IS NULL OR e.last_end_utc > {from})"
        ));
    }
    let select = format!(
        "SELECT e.*, CAST({} AS DOUBLE PRECISION) AS rank FROM events e{join}",
        rank.as_deref().unwrap_or("NULL")
    );
    (select, c.join(" AND "), rank)
}

/// One page (`limit + 1` hits) of published events matching `f`: the best
/// keyword matches first with `q`, else in id order.
pub fn list_page(
    conn: &mut DbConnection,
    f: &EventFilter,
    page: &PageRequest,
) -> Result<Vec<EventHit>, ApiError> {
    let mut b = SqlBuilder::new(conn);
    let (select, mut conditions, rank) = select_public(&mut b, f);
    if let Some(cur) = &page.cursor {
        let id = b.param(Bind::Text(cur.after_id.clone()));
        match (&rank, cur.key.as_deref()) {
            (Some(r), Some(k)) => {
                let k = k.parse::<f64>().map_err(|_| invalid_cursor())?;
                let k = b.param(Bind::Double(k));
                conditions.push_str(&format!(" AND ({r}, e.id) > ({k}, {id})"));
            }
            (None, None) => conditions.push_str(&format!(" AND e.id > {id}")),
            _ => return Err(invalid_cursor()),
        }
    }
    let order = match &rank {
        Some(r) => format!("{r} ASC, e.id ASC"),
        None => "e.id ASC".to_owned(),
    };
    b.push(&format!(
        "{select} WHERE {conditions} ORDER BY {order} LIMIT {}",
        page.limit + 1
    ));
    Ok(b.load(conn)?)
}

/// All published events matching `f` (up to `cap`), in id order.
pub fn list_public(
    conn: &mut DbConnection,
    f: &EventFilter,
    cap: i64,
) -> Result<Vec<EventRow>, ApiError> {
    let mut b = SqlBuilder::new(conn);
    let (select, conditions, _) = select_public(&mut b, f);
    b.push(&format!(
        "{select} WHERE {conditions} ORDER BY e.id LIMIT {cap}"
    ));
    Ok(b.load::<EventHit>(conn)?
        .into_iter()
        .map(|h| h.event)
        .collect())
}

/// An event's group must be one of its organization's.
fn check_group(conn: &mut DbConnection, org: &str, w: &EventWrite) -> Result<(), ApiError> {
    let Some(g) = &w.group_id else { return Ok(()) };
    let n: i64 = support_groups::table
        .filter(support_groups::id.eq(g))
        .filter(support_groups::organization_id.eq(org))
        .filter(support_groups::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "group_id",
            "no group of your organization has this id",
        )]));
    }
    Ok(())
}

/// A validated event with its recurrence and the columns derived from them
/// (first start, last end), computed before any write transaction.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub write: EventWrite,
    pub recurrence: Recurrence,
    cols: EventColumns,
}

impl Prepared {
    pub fn new(write: EventWrite, recurrence: Recurrence) -> Result<Prepared, ApiError> {
        let cols = EventColumns::from_write(&write, &recurrence)?;
        Ok(Prepared {
            write,
            recurrence,
            cols,
        })
    }
}

/// Events, as a kind of listing.
pub struct Event;

/// Topics of the join values, in the vocabulary's order.
fn topics_of(joins: &[Vec<String>]) -> Result<Vec<Topic>, ApiError> {
    let mut topics = joins
        .first()
        .into_iter()
        .flatten()
        .map(|t| parse(t))
        .collect::<Result<Vec<Topic>, _>>()?;
    topics.sort();
    Ok(topics)
}

impl Listing for Event {
    const KIND: ListingType = ListingType::Event;
    const TABLE: &'static str = "events";
    const NOUN: &'static str = "event";
    const JOINS: &'static [JoinTable] = &[("event_topics", "event_id", "topic")];
    type Row = EventRow;
    type Write = EventWrite;
    type Prepared = Prepared;
    type Response = EventResponse;

    fn meta(r: &EventRow) -> Meta<'_> {
        Meta {
            id: &r.id,
            organization_id: &r.organization_id,
            external_id: r.external_id.as_deref(),
            version: r.version,
            published: r.listing_status == ListingStatus::Published.as_str(),
        }
    }
    fn prepare(mut w: EventWrite) -> Result<Prepared, ApiError> {
        let recurrence = w.validate()?;
        Prepared::new(w, recurrence)
    }
    fn write_of(p: &Prepared) -> &EventWrite {
        &p.write
    }
    fn external_id(w: &EventWrite) -> Option<&str> {
        w.external_id.as_deref()
    }
    fn set_external_id(w: &mut EventWrite, ext: &str) {
        w.external_id = Some(ext.to_owned());
    }
    fn join_values(w: &EventWrite) -> Vec<Vec<&str>> {
        vec![w.topics.iter().map(|t| t.as_str()).collect()]
    }
    fn to_write(r: &EventRow, joins: &[Vec<String>]) -> Result<EventWrite, ApiError> {
        r.to_write(&topics_of(joins)?)
    }
    fn to_response(
        r: &EventRow,
        joins: &[Vec<String>],
        org: OrganizationSummary,
        privileged: bool,
    ) -> Result<EventResponse, ApiError> {
        r.to_response(&topics_of(joins)?, org, privileged)
    }
    fn insert_row(conn: &mut DbConnection, id: &str, org: &str, p: &Prepared) -> QueryResult<()> {
        let now = Utc::now().naive_utc();
        diesel::insert_into(events::table)
            .values((
                events::id.eq(id),
                events::organization_id.eq(org),
                events::version.eq(1i64),
                events::created_at.eq(now),
                events::updated_at.eq(now),
                &p.cols,
            ))
            .execute(conn)
            .map(drop)
    }
    fn update_row(conn: &mut DbConnection, id: &str, p: &Prepared) -> QueryResult<()> {
        diesel::update(events::table.find(id))
            .set((
                &p.cols,
                events::version.eq(events::version + 1i64),
                events::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
            .map(drop)
    }
    fn check(conn: &mut DbConnection, org: &str, p: &Prepared) -> Result<(), ApiError> {
        check_group(conn, org, &p.write)
    }
}
