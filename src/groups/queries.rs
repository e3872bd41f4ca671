//! Database access for support groups: the main row plus join tables for
//! multi-valued attributes (topics, languages, stages, support types), so
//! every filter can use an index on both backends.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::dto::*;
use crate::changelog::ListingType;
use crate::db::schema::support_groups;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::listing::{
    online_from_columns, store, JoinTable, Listing, LocationColumns, Meta, OrganizationSummary,
};
use crate::vocab::*;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = support_groups)]
pub struct GroupRow {
    pub id: String,
    pub organization_id: String,
    pub external_id: Option<String>,
    pub name: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub format: String,
    pub enrollment: String,
    pub cohort_starts_on: Option<NaiveDate>,
    pub cohort_ends_on: Option<NaiveDate>,
    pub facilitation: String,
    pub schedule_rrule: Option<String>,
    pub schedule_starts_at: Option<NaiveDateTime>,
    pub schedule_timezone: Option<String>,
    pub schedule_duration_minutes: Option<i32>,
    pub audience: String,
    pub cost_kind: String,
    pub cost_amount: Option<String>,
    pub cost_currency: Option<String>,
    pub capacity: Option<i32>,
    pub accepting_new_members: bool,
    pub accessibility: Option<String>,
    pub confidentiality_policy: Option<String>,
    pub anonymous_participation: bool,
    pub content_notes: String,
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
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_url: Option<String>,
    pub status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// Fingerprint of the stored values (see [`crate::sync::fingerprint`]).
    pub content_hash: Option<String>,
    /// Lowercase name, the key of `sort=name`.
    pub name_key: Option<String>,
    /// The next meeting as of the last write ([`NO_MEETING`]: none).
    pub next_meeting_at: Option<NaiveDateTime>,
}

/// Stored as `next_meeting_at` for a group with no upcoming meeting, so that
/// such groups sort last.
pub const NO_MEETING: NaiveDateTime = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d.and_time(chrono::NaiveTime::MIN),
    None => panic!("a valid date"),
};

/// The columns a write sets (everything but identity, version and times).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = support_groups, treat_none_as_null = true)]
struct GroupColumns {
    external_id: Option<String>,
    name: String,
    summary: Option<String>,
    description: Option<String>,
    format: &'static str,
    enrollment: &'static str,
    cohort_starts_on: Option<NaiveDate>,
    cohort_ends_on: Option<NaiveDate>,
    facilitation: &'static str,
    schedule_rrule: Option<String>,
    schedule_starts_at: Option<NaiveDateTime>,
    schedule_timezone: Option<String>,
    schedule_duration_minutes: Option<i32>,
    audience: String,
    cost_kind: &'static str,
    cost_amount: Option<String>,
    cost_currency: Option<String>,
    capacity: Option<i32>,
    accepting_new_members: bool,
    accessibility: Option<String>,
    confidentiality_policy: Option<String>,
    anonymous_participation: bool,
    content_notes: String,
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
    contact_email: Option<String>,
    contact_phone: Option<String>,
    contact_url: Option<String>,
    status: &'static str,
    content_hash: Option<String>,
    search_topics: Option<String>,
    name_key: Option<String>,
    geo_lat: Option<f64>,
    geo_lon: Option<f64>,
    next_meeting_at: Option<NaiveDateTime>,
}

impl GroupColumns {
    fn from_write(w: &GroupWrite) -> Result<GroupColumns, ApiError> {
        let json = |v: &Vec<String>| serde_json::to_string(v).map_err(ApiError::internal);
        let l = w.location.as_ref();
        let o = w.online.as_ref();
        let k = w.contact.clone().unwrap_or_default();
        let place = placement(w);
        Ok(GroupColumns {
            external_id: w.external_id.clone(),
            name: w.name.clone(),
            summary: w.summary.clone(),
            description: w.description.clone(),
            format: w.format.as_str(),
            enrollment: w.enrollment.as_str(),
            cohort_starts_on: w.cohort.as_ref().map(|c| c.starts_on),
            cohort_ends_on: w.cohort.as_ref().map(|c| c.ends_on),
            facilitation: w.facilitation.as_str(),
            schedule_rrule: w.schedule.as_ref().map(|s| s.rrule.clone()),
            schedule_starts_at: w.schedule.as_ref().map(|s| s.starts_at),
            schedule_timezone: w.schedule.as_ref().map(|s| s.timezone.clone()),
            schedule_duration_minutes: w.schedule.as_ref().map(|s| s.duration_minutes),
            audience: json(&w.audience)?,
            cost_kind: w.cost.kind.as_str(),
            cost_amount: w.cost.amount.clone(),
            cost_currency: w.cost.currency.clone(),
            capacity: w.capacity,
            accepting_new_members: w.accepting_new_members,
            accessibility: w.accessibility.clone(),
            confidentiality_policy: w.confidentiality_policy.clone(),
            anonymous_participation: w.anonymous_participation,
            content_notes: json(&w.content_notes)?,
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
            contact_email: k.email,
            contact_phone: k.phone,
            contact_url: k.url,
            status: w.status.as_str(),
            content_hash: Some(store::fingerprint(w)?),
            search_topics: crate::search::topic_labels(&w.topics),
            name_key: Some(w.name.to_lowercase()),
            geo_lat: place.map(|p| p.0),
            geo_lon: place.map(|p| p.1),
            next_meeting_at: Some(next_meeting_key(w, Utc::now())),
        })
    }
}

/// Where the public directory places a group for nearby search: nowhere for
/// an online group or one without coordinates.
fn placement(w: &GroupWrite) -> Option<(f64, f64)> {
    if w.format == Format::Online {
        return None;
    }
    let l = w.location.as_ref()?;
    Some(crate::geo::placement(
        l.visibility,
        l.latitude?,
        l.longitude?,
    ))
}

/// The stored `next_meeting_at`: the next meeting after `now`, or [`NO_MEETING`].
fn next_meeting_key(w: &GroupWrite, now: chrono::DateTime<Utc>) -> NaiveDateTime {
    w.next_meeting(now)
        .map_or(NO_MEETING, |(utc, _)| utc.naive_utc())
}

/// When a group meets in its own time zone, over the coming year: distinct
/// (ISO weekday, start minute, end minute) of its meetings.
pub fn meeting_slots(w: &GroupWrite, now: chrono::DateTime<Utc>) -> Vec<(u32, u32, u32)> {
    use chrono::{Datelike, Timelike};
    let Some(s) = &w.schedule else { return vec![] };
    let Ok(tz) = s.timezone.parse::<chrono_tz::Tz>() else {
        return vec![];
    };
    let from = now.max(s.starts_at.and_utc() - chrono::Duration::days(1));
    let (occurrences, _) = w.occurrences(from, from + chrono::Duration::days(371), 400);
    let duration = u32::try_from(s.duration_minutes).unwrap_or(0);
    let mut slots: Vec<(u32, u32, u32)> = occurrences
        .iter()
        .map(|o| {
            let local = o.start.with_timezone(&tz);
            let start = local.hour() * 60 + local.minute();
            (
                local.weekday().number_from_monday(),
                start,
                start + duration,
            )
        })
        .collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// Statements that replace a group's meeting slots (ids and numbers only).
fn slots_sql(id: &str, slots: &[(u32, u32, u32)]) -> QueryResult<String> {
    let id = crate::db::sql_token(id)?;
    let mut sql = format!("DELETE FROM group_meeting_slots WHERE group_id = '{id}';");
    if !slots.is_empty() {
        let values: Vec<String> = slots
            .iter()
            .map(|(d, s, e)| format!("('{id}', {d}, {s}, {e})"))
            .collect();
        sql.push_str(&format!(
            "INSERT INTO group_meeting_slots (group_id, weekday, start_minute, end_minute) VALUES {};",
            values.join(", ")
        ));
    }
    Ok(sql)
}

/// A validated group with everything derived from it (its columns, next
/// meeting and meeting slots), computed before any write transaction:
/// expanding a schedule never happens while the write lock is held.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub write: GroupWrite,
    cols: GroupColumns,
    slots: Vec<(u32, u32, u32)>,
}

impl Prepared {
    /// Derive the columns of a validated group.
    pub fn new(write: GroupWrite) -> Result<Prepared, ApiError> {
        let cols = GroupColumns::from_write(&write)?;
        let slots = meeting_slots(&write, Utc::now());
        Ok(Prepared { write, cols, slots })
    }
}

/// Multi-valued attributes of one group.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub topics: Vec<Topic>,
    pub languages: Vec<String>,
    pub recovery_stages: Vec<RecoveryStage>,
    pub support_types: Vec<SupportType>,
}

fn parse<V: Vocabulary>(s: &str) -> Result<V, ApiError> {
    V::parse(s).map_err(ApiError::internal)
}

/// Vocabulary values of a join table, in the vocabulary's order.
fn parse_all<V: Vocabulary + Ord>(values: Option<&Vec<String>>) -> Result<Vec<V>, ApiError> {
    let mut out = values
        .into_iter()
        .flatten()
        .map(|v| parse(v))
        .collect::<Result<Vec<V>, _>>()?;
    out.sort();
    Ok(out)
}

impl Attributes {
    /// From the join values, in the order of [`Group::JOINS`].
    fn from_joins(joins: &[Vec<String>]) -> Result<Attributes, ApiError> {
        Ok(Attributes {
            topics: parse_all(joins.first())?,
            languages: joins.get(1).cloned().unwrap_or_default(),
            recovery_stages: parse_all(joins.get(2))?,
            support_types: parse_all(joins.get(3))?,
        })
    }
}

impl GroupRow {
    /// The stored values as a write body (all details, the base of a merge patch).
    pub fn to_write(&self, a: &Attributes) -> Result<GroupWrite, ApiError> {
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).map_err(ApiError::internal);
        let location = LocationColumns {
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
        .to_location()?;
        let online = online_from_columns(
            self.online_join_visibility.as_deref(),
            self.online_platform.as_ref(),
            self.online_join_url.as_ref(),
            self.online_instructions.as_ref(),
        )?;
        let schedule = match (
            &self.schedule_rrule,
            self.schedule_starts_at,
            &self.schedule_timezone,
            self.schedule_duration_minutes,
        ) {
            (Some(rrule), Some(starts_at), Some(timezone), Some(duration_minutes)) => {
                Some(Schedule {
                    rrule: rrule.clone(),
                    starts_at,
                    timezone: timezone.clone(),
                    duration_minutes,
                })
            }
            _ => None,
        };
        let contact = (self.contact_email.is_some()
            || self.contact_phone.is_some()
            || self.contact_url.is_some())
        .then(|| GroupContact {
            email: self.contact_email.clone(),
            phone: self.contact_phone.clone(),
            url: self.contact_url.clone(),
        });
        Ok(GroupWrite {
            external_id: self.external_id.clone(),
            name: self.name.clone(),
            summary: self.summary.clone(),
            description: self.description.clone(),
            topics: a.topics.clone(),
            format: parse(&self.format)?,
            enrollment: parse(&self.enrollment)?,
            cohort: match (self.cohort_starts_on, self.cohort_ends_on) {
                (Some(starts_on), Some(ends_on)) => Some(Cohort { starts_on, ends_on }),
                _ => None,
            },
            facilitation: parse(&self.facilitation)?,
            schedule,
            recovery_stages: a.recovery_stages.clone(),
            support_types: a.support_types.clone(),
            languages: a.languages.clone(),
            audience: list(&self.audience)?,
            cost: Cost {
                kind: parse(&self.cost_kind)?,
                amount: self.cost_amount.clone(),
                currency: self.cost_currency.clone(),
            },
            capacity: self.capacity,
            accepting_new_members: self.accepting_new_members,
            accessibility: self.accessibility.clone(),
            confidentiality_policy: self.confidentiality_policy.clone(),
            anonymous_participation: self.anonymous_participation,
            content_notes: list(&self.content_notes)?,
            location,
            online,
            contact,
            status: parse(&self.status)?,
        })
    }

    /// The response; `privileged` (the owner) sees every detail, anyone else
    /// what the visibilities allow.
    pub fn to_response(
        &self,
        a: &Attributes,
        org: OrganizationSummary,
        privileged: bool,
    ) -> Result<GroupResponse, ApiError> {
        let w = self.to_write(a)?;
        let now = Utc::now();
        // The stored next meeting holds while it is still ahead (nothing can
        // come before it); once it has begun, compute the next one.
        let next = match self.next_meeting_at {
            Some(t) if t == NO_MEETING => None,
            Some(t) if t.and_utc() > now => w
                .schedule
                .as_ref()
                .and_then(|s| s.timezone.parse::<chrono_tz::Tz>().ok())
                .map(|tz| with_local(t.and_utc(), tz)),
            _ => w.next_meeting(now),
        };
        let (location, online) = if privileged {
            (w.location, w.online)
        } else {
            (
                w.location.as_ref().map(public_location),
                w.online.as_ref().map(public_online),
            )
        };
        Ok(GroupResponse {
            id: self.id.clone(),
            organization: org,
            external_id: w.external_id,
            name: w.name,
            summary: w.summary,
            description: w.description,
            topics: w.topics,
            format: w.format,
            enrollment: w.enrollment,
            cohort: w.cohort,
            facilitation: w.facilitation,
            schedule: w.schedule,
            recovery_stages: w.recovery_stages,
            support_types: w.support_types,
            languages: w.languages,
            audience: w.audience,
            cost: w.cost,
            capacity: w.capacity,
            accepting_new_members: w.accepting_new_members,
            accessibility: w.accessibility,
            confidentiality_policy: w.confidentiality_policy,
            anonymous_participation: w.anonymous_participation,
            content_notes: w.content_notes,
            location,
            online,
            contact: w.contact,
            status: w.status,
            next_meeting_at: next.map(|n| n.0),
            next_meeting_local: next.map(|n| n.1),
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            distance_km: None,
            relevance: None,
        })
    }
}

/// Whether some group's stored next meeting has begun, or was never
/// computed (rows from before the discovery migration): two probes of
/// `support_groups_stale_meeting`, no lock (an `OR` of the two would read
/// every group).
pub fn has_stale_derived(conn: &mut DbConnection) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    let passed: Option<String> = support_groups::table
        .filter(support_groups::next_meeting_at.le(now))
        .filter(support_groups::deleted_at.is_null())
        .select(support_groups::id)
        .first(conn)
        .optional()?;
    if passed.is_some() {
        return Ok(true);
    }
    let never: Option<String> = support_groups::table
        .filter(support_groups::next_meeting_at.is_null())
        .filter(support_groups::deleted_at.is_null())
        .select(support_groups::id)
        .first(conn)
        .optional()?;
    Ok(never.is_some())
}

/// Fill in the derived columns and meeting slots of up to `limit` groups
/// whose stored next meeting has begun (or that were never computed).
/// Returns how many were read. Nothing a client sees changes, so no version
/// or feed entry is written. The schedules are expanded before the write
/// transaction, which only writes, and skips a group edited meanwhile (its
/// edit derived its columns afresh).
pub fn refresh_derived(conn: &mut DbConnection, limit: i64) -> Result<usize, ApiError> {
    if !has_stale_derived(conn)? {
        return Ok(0);
    }
    let now = Utc::now();
    let rows: Vec<GroupRow> = support_groups::table
        .filter(
            support_groups::next_meeting_at
                .le(now.naive_utc())
                .or(support_groups::next_meeting_at.is_null()),
        )
        .filter(support_groups::deleted_at.is_null())
        .select(GroupRow::as_select())
        .limit(limit)
        .load(conn)?;
    let derived = rows
        .iter()
        .zip(store::writes::<Group>(conn, &rows)?)
        .map(|(r, w)| Ok((r, Prepared::new(w)?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    crate::db::write_transaction(conn, |conn| {
        for (r, p) in &derived {
            let cols = &p.cols;
            let written = diesel::update(
                support_groups::table
                    .find(&r.id)
                    .filter(support_groups::version.eq(r.version)),
            )
            .set((
                support_groups::search_topics.eq(&cols.search_topics),
                support_groups::name_key.eq(&cols.name_key),
                support_groups::geo_lat.eq(cols.geo_lat),
                support_groups::geo_lon.eq(cols.geo_lon),
                support_groups::next_meeting_at.eq(cols.next_meeting_at),
            ))
            .execute(conn)?;
            if written == 1 {
                conn.batch_execute(&slots_sql(&r.id, &p.slots)?)?;
            }
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(rows.len())
}

/// Refresh every group that needs it (at start-up, and by the maintenance
/// task), in batches.
pub fn refresh_all_derived(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let n = refresh_derived(conn, 500)?;
        total += n;
        if n < 500 {
            return Ok(total);
        }
    }
}

/// Support groups, as a kind of listing.
pub struct Group;

impl Listing for Group {
    const KIND: ListingType = ListingType::Group;
    const TABLE: &'static str = "support_groups";
    const NOUN: &'static str = "group";
    const JOINS: &'static [JoinTable] = &[
        ("group_topics", "group_id", "topic"),
        ("group_languages", "group_id", "language"),
        ("group_recovery_stages", "group_id", "stage"),
        ("group_support_types", "group_id", "support_type"),
    ];
    type Row = GroupRow;
    type Write = GroupWrite;
    type Prepared = Prepared;
    type Response = GroupResponse;

    fn meta(r: &GroupRow) -> Meta<'_> {
        Meta {
            id: &r.id,
            organization_id: &r.organization_id,
            external_id: r.external_id.as_deref(),
            version: r.version,
            published: r.status == ListingStatus::Published.as_str(),
        }
    }
    fn prepare(mut w: GroupWrite) -> Result<Prepared, ApiError> {
        w.validate()?;
        Prepared::new(w)
    }
    fn write_of(p: &Prepared) -> &GroupWrite {
        &p.write
    }
    fn external_id(w: &GroupWrite) -> Option<&str> {
        w.external_id.as_deref()
    }
    fn set_external_id(w: &mut GroupWrite, ext: &str) {
        w.external_id = Some(ext.to_owned());
    }
    fn join_values(w: &GroupWrite) -> Vec<Vec<&str>> {
        vec![
            w.topics.iter().map(|t| t.as_str()).collect(),
            w.languages.iter().map(String::as_str).collect(),
            w.recovery_stages.iter().map(|t| t.as_str()).collect(),
            w.support_types.iter().map(|t| t.as_str()).collect(),
        ]
    }
    fn to_write(r: &GroupRow, joins: &[Vec<String>]) -> Result<GroupWrite, ApiError> {
        r.to_write(&Attributes::from_joins(joins)?)
    }
    fn to_response(
        r: &GroupRow,
        joins: &[Vec<String>],
        org: OrganizationSummary,
        privileged: bool,
    ) -> Result<GroupResponse, ApiError> {
        r.to_response(&Attributes::from_joins(joins)?, org, privileged)
    }
    fn insert_row(conn: &mut DbConnection, id: &str, org: &str, p: &Prepared) -> QueryResult<()> {
        let now = Utc::now().naive_utc();
        diesel::insert_into(support_groups::table)
            .values((
                support_groups::id.eq(id),
                support_groups::organization_id.eq(org),
                support_groups::version.eq(1i64),
                support_groups::created_at.eq(now),
                support_groups::updated_at.eq(now),
                &p.cols,
            ))
            .execute(conn)
            .map(drop)
    }
    fn update_row(conn: &mut DbConnection, id: &str, p: &Prepared) -> QueryResult<()> {
        diesel::update(support_groups::table.find(id))
            .set((
                &p.cols,
                support_groups::version.eq(support_groups::version + 1i64),
                support_groups::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
            .map(drop)
    }
    fn derived_sql(id: &str, p: &Prepared) -> QueryResult<String> {
        slots_sql(id, &p.slots)
    }
    fn stored_fingerprint(r: &GroupRow) -> Option<&str> {
        r.content_hash.as_deref()
    }
}
