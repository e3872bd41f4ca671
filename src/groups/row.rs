//! A group's row and the mappings between it, its write body and its
//! response.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::derived::next_meeting_key;
use super::dto::*;
use crate::db::schema::support_groups;
use crate::error::ApiError;
use crate::listing::{online_from_columns, store, LocationColumns, OrganizationSummary};
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
    /// Fingerprint of the stored values (see [`crate::listing::store::fingerprint`]).
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
pub(super) struct GroupColumns {
    pub(super) external_id: Option<String>,
    pub(super) name: String,
    pub(super) summary: Option<String>,
    pub(super) description: Option<String>,
    pub(super) format: &'static str,
    pub(super) enrollment: &'static str,
    pub(super) cohort_starts_on: Option<NaiveDate>,
    pub(super) cohort_ends_on: Option<NaiveDate>,
    pub(super) facilitation: &'static str,
    pub(super) schedule_rrule: Option<String>,
    pub(super) schedule_starts_at: Option<NaiveDateTime>,
    pub(super) schedule_timezone: Option<String>,
    pub(super) schedule_duration_minutes: Option<i32>,
    pub(super) audience: String,
    pub(super) cost_kind: &'static str,
    pub(super) cost_amount: Option<String>,
    pub(super) cost_currency: Option<String>,
    pub(super) capacity: Option<i32>,
    pub(super) accepting_new_members: bool,
    pub(super) accessibility: Option<String>,
    pub(super) confidentiality_policy: Option<String>,
    pub(super) anonymous_participation: bool,
    pub(super) content_notes: String,
    pub(super) location_visibility: Option<&'static str>,
    pub(super) location_name: Option<String>,
    pub(super) street_address: Option<String>,
    pub(super) locality: Option<String>,
    pub(super) region: Option<String>,
    pub(super) postal_code: Option<String>,
    pub(super) country: Option<String>,
    pub(super) latitude: Option<f64>,
    pub(super) longitude: Option<f64>,
    pub(super) online_platform: Option<String>,
    pub(super) online_join_url: Option<String>,
    pub(super) online_join_visibility: Option<&'static str>,
    pub(super) online_instructions: Option<String>,
    pub(super) contact_email: Option<String>,
    pub(super) contact_phone: Option<String>,
    pub(super) contact_url: Option<String>,
    pub(super) status: &'static str,
    pub(super) content_hash: Option<String>,
    pub(super) search_topics: Option<String>,
    pub(super) name_key: Option<String>,
    pub(super) geo_lat: Option<f64>,
    pub(super) geo_lon: Option<f64>,
    pub(super) next_meeting_at: Option<NaiveDateTime>,
}

impl GroupColumns {
    pub(super) fn from_write(w: &GroupWrite) -> Result<GroupColumns, ApiError> {
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
    pub(super) fn from_joins(joins: &[Vec<String>]) -> Result<Attributes, ApiError> {
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
