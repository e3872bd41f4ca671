//! Request and response types of events and their occurrences.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::listing::{check_place, Cost, Location, OnlineDetails, OrganizationSummary};
use crate::recurrence::{exact_duration, OccurrenceTimes, Recurrence};
use crate::validate::Checks;
use crate::vocab::*;

fn default_status() -> EventStatus {
    EventStatus::Scheduled
}

fn default_listing_status() -> ListingStatus {
    ListingStatus::Draft
}

/// An event as written by its organization (`POST`, `PUT`, and the base
/// that `PATCH` merges onto). Times are local to `timezone`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "open-day-2027",
    "name": "Open day: meet the peer supporters",
    "summary": "Drop in, have a cup of tea, ask anything.",
    "topics": ["general"],
    "starts_at": "2027-01-16T11:00:00",
    "ends_at": "2027-01-16T15:00:00",
    "timezone": "Europe/London",
    "format": "in_person",
    "location": {"visibility": "public", "name": "St Anne's community hall", "street_address": "12 Cedar Road",
                 "locality": "London", "country": "GB"},
    "cost": {"kind": "free"},
    "listing_status": "published"
}))]
pub struct EventWrite {
    /// Your own identifier for this event (unique within your organization).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "circles:text")]
    pub external_id: Option<String>,
    /// A group of yours this event belongs to (e.g. a cohort's first session).
    #[serde(default)]
    pub group_id: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "circles:line")]
    pub name: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 500, pattern = "circles:text")]
    pub summary: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 10000, pattern = "circles:text")]
    pub description: Option<String>,
    #[serde(default)]
    pub topics: Vec<Topic>,
    /// Local start of the (first) occurrence, `YYYY-MM-DDTHH:MM:SS` without offset.
    #[schema(value_type = String, example = "2027-01-16T11:00:00", pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")]
    pub starts_at: NaiveDateTime,
    /// Local end of the (first) occurrence; later occurrences last as long.
    #[schema(value_type = String, example = "2027-01-16T15:00:00", pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")]
    pub ends_at: NaiveDateTime,
    /// IANA time-zone name; never a numeric offset.
    #[schema(example = "Europe/London")]
    pub timezone: String,
    /// Optional RFC 5545 RRULE value for a repeating event; `UNTIL` must be
    /// UTC. `FREQ` is `DAILY`, `WEEKLY`, `MONTHLY` or `YEARLY`; at most 4
    /// occurrences a day, at least one a year, `COUNT` at most 1000.
    #[serde(default)]
    #[schema(example = "FREQ=MONTHLY;BYDAY=2TU")]
    pub rrule: Option<String>,
    /// Local start times of occurrences that do not take place.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["2027-02-09T18:00:00"]))]
    pub exdates: Vec<NaiveDateTime>,
    pub format: Format,
    /// Required for `in_person` and `hybrid` events.
    #[serde(default)]
    pub location: Option<Location>,
    /// Required for `online` and `hybrid` events.
    #[serde(default)]
    pub online: Option<OnlineDetails>,
    /// Where to sign up.
    #[serde(default)]
    pub registration_url: Option<String>,
    /// `free` unless set.
    #[serde(default)]
    pub cost: Cost,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub capacity: Option<i32>,
    /// `scheduled` unless set.
    #[serde(default = "default_status")]
    pub status: EventStatus,
    /// `draft` unless set; only `published` events are public.
    #[serde(default = "default_listing_status")]
    pub listing_status: ListingStatus,
}

impl EventWrite {
    /// Check every field; returns the event's recurrence.
    pub fn validate(&mut self) -> Result<Recurrence, ApiError> {
        let mut c = Checks::new();
        if let Some(e) = &self.external_id {
            c.text("external_id", e, 1, 200);
        }
        if let Some(g) = &self.group_id {
            if uuid::Uuid::parse_str(g).is_err() {
                c.fail("group_id", "must be the id (UUID) of one of your groups");
            }
        }
        c.line("name", &self.name, 1, 200);
        c.opt_text("summary", self.summary.as_deref(), 500);
        c.opt_text("description", self.description.as_deref(), 10_000);
        let tz = c.timezone("timezone", &self.timezone);
        let duration = self.ends_at - self.starts_at;
        if duration <= Duration::zero() {
            c.fail("ends_at", "must be after `starts_at`");
        } else if duration > Duration::days(14) {
            c.fail("ends_at", "an event may last at most 14 days");
        }
        if self.exdates.len() > 500 {
            c.fail("exdates", "must have at most 500 items");
        }
        if !self.exdates.is_empty() && self.rrule.is_none() {
            c.fail("exdates", "is only for repeating events (with `rrule`)");
        }
        check_place(
            &mut c,
            self.format,
            self.location.as_ref(),
            self.online.as_ref(),
            "events",
        );
        c.url("registration_url", self.registration_url.as_deref());
        self.cost.check(&mut c);
        c.range_i64("capacity", self.capacity.map(i64::from), 1, 100_000);
        let recurrence = tz.map(|tz| Recurrence {
            tz,
            start_local: self.starts_at,
            duration: exact_duration(tz, self.starts_at, self.ends_at),
            rrule: self.rrule.clone(),
            exdates: self.exdates.clone(),
        });
        if let Some(r) = &recurrence {
            if let Err(e) = r.validate() {
                c.fail("rrule", e);
            }
        }
        c.finish()?;
        self.name = self.name.trim().to_owned();
        self.topics.sort();
        self.topics.dedup();
        self.exdates.sort();
        self.exdates.dedup();
        recurrence.ok_or_else(|| ApiError::internal("time zone checked above"))
    }
}

/// An event as the public (or its own organization) sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventResponse {
    pub id: String,
    pub organization: OrganizationSummary,
    pub group_id: Option<String>,
    pub external_id: Option<String>,
    pub name: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub topics: Vec<Topic>,
    /// Local start of the first occurrence, in `timezone`.
    #[schema(value_type = String, example = "2027-01-16T11:00:00")]
    pub starts_at: NaiveDateTime,
    /// Local end of the first occurrence, in `timezone`.
    #[schema(value_type = String, example = "2027-01-16T15:00:00")]
    pub ends_at: NaiveDateTime,
    pub timezone: String,
    pub rrule: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub exdates: Vec<NaiveDateTime>,
    /// The next occurrence from now, if any.
    pub next_occurrence: Option<OccurrenceTimes>,
    pub format: Format,
    pub location: Option<Location>,
    pub online: Option<OnlineDetails>,
    pub registration_url: Option<String>,
    pub cost: Cost,
    pub capacity: Option<i32>,
    pub status: EventStatus,
    pub listing_status: ListingStatus,
    /// Grows by one with every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub data: Vec<EventResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One dated occurrence of an event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventOccurrence {
    pub event_id: String,
    #[serde(flatten)]
    pub times: OccurrenceTimes,
    /// The event's status (`cancelled` occurrences are listed, marked).
    pub status: EventStatus,
    pub event: EventResponse,
}

/// A page of occurrences in the requested window, in start order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccurrencePage {
    pub data: Vec<EventOccurrence>,
    /// Pass as `cursor` (with the same window) to get the next page.
    pub next_cursor: Option<String>,
}

/// `GET /v1/events` answers events, or occurrences when `from` and `to` are given.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventListing {
    Events(EventPage),
    Occurrences(OccurrencePage),
}
