//! Request and response types of support groups.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::recurrence::{day_start, Occurrence, OccurrenceTimes, Recurrence, Window};
use crate::validate::{normalize_languages, Checks};
use crate::vocab::*;

pub use crate::listing::{
    check_place, public_location, public_online, Cost, Location, OnlineDetails, OrganizationSummary,
};

/// Dates of a cohort group (`enrollment: cohort`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// First meeting day.
    #[schema(example = "2027-01-12")]
    pub starts_on: NaiveDate,
    /// Last meeting day.
    #[schema(example = "2027-03-02")]
    pub ends_on: NaiveDate,
}

/// When a group meets: an RFC 5545 recurrence rule from a first meeting in
/// the group's own time zone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// RFC 5545 RRULE value, without the `RRULE:` prefix. A meeting
    /// schedule: `FREQ` is `DAILY`, `WEEKLY`, `MONTHLY` or `YEARLY`; at most
    /// 4 meetings a day (`BYHOUR` × `BYMINUTE`), at least one a year,
    /// `COUNT` at most 1000, `UNTIL` in UTC.
    #[schema(example = "FREQ=WEEKLY;BYDAY=TU")]
    pub rrule: String,
    /// Local date and time of the first meeting, without offset
    /// (`YYYY-MM-DDTHH:MM:SS`), in `timezone`.
    #[schema(value_type = String, example = "2026-01-06T18:00:00",
        pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")]
    pub starts_at: NaiveDateTime,
    /// IANA time-zone name; never a numeric offset.
    #[schema(example = "Europe/London")]
    pub timezone: String,
    /// Length of one meeting in minutes.
    #[schema(example = 90, minimum = 5, maximum = 1440)]
    pub duration_minutes: i32,
}

/// How to contact the group's organizers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct GroupContact {
    #[serde(default)]
    #[schema(example = "circles@friendsofash.org")]
    pub email: Option<String>,
    /// A phone number that libphonenumber holds valid: international, with
    /// `+` and the country code, or national for `location.country`.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    #[schema(example = "https://friendsofash.org/groups/grief")]
    pub url: Option<String>,
}

fn yes() -> bool {
    true
}

/// A support group as written by its organization (`POST`, `PUT`, and the
/// base that `PATCH` merges onto).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "grief-tue",
    "name": "Tuesday grief circle",
    "summary": "A gentle space to talk about loss.",
    "topics": ["grief"],
    "format": "hybrid",
    "enrollment": "rolling",
    "facilitation": "peer_led",
    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TU", "starts_at": "2026-01-06T18:00:00", "timezone": "Europe/London", "duration_minutes": 90},
    "recovery_stages": ["moratorium", "awareness"],
    "support_types": ["emotional", "companionship"],
    "languages": ["en"],
    "cost": {"kind": "free"},
    "location": {"visibility": "area_only", "street_address": "12 Cedar Road", "locality": "London", "country": "GB", "latitude": 51.5362, "longitude": -0.1034},
    "online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/circles-grief-tuesday", "join_url_visibility": "on_request"},
    "status": "draft"
}))]
pub struct GroupWrite {
    /// Your own identifier for this group (unique within your organization).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "circles:text")]
    pub external_id: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "circles:line")]
    pub name: String,
    /// One or two sentences shown in lists.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 500, pattern = "circles:text")]
    pub summary: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 10000, pattern = "circles:text")]
    pub description: Option<String>,
    /// What the group is about; at least one.
    #[schema(min_items = 1)]
    pub topics: Vec<Topic>,
    pub format: Format,
    /// `rolling` unless set.
    #[serde(default = "default_enrollment")]
    pub enrollment: Enrollment,
    /// Required for `cohort` enrollment.
    #[serde(default)]
    pub cohort: Option<Cohort>,
    pub facilitation: Facilitation,
    #[serde(default)]
    pub schedule: Option<Schedule>,
    #[serde(default)]
    pub recovery_stages: Vec<RecoveryStage>,
    #[serde(default)]
    pub support_types: Vec<SupportType>,
    /// BCP 47 language tags of real languages (ISO 639), with registered
    /// subtags: `en`, `pt-BR`, `zh-Hant`.
    #[serde(default)]
    #[schema(example = json!(["en"]))]
    pub languages: Vec<String>,
    /// Who the group is for, in words (e.g. `youth`, `veterans`, `LGBTQ+`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub audience: Vec<String>,
    /// `free` unless set.
    #[serde(default)]
    pub cost: Cost,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub capacity: Option<i32>,
    #[serde(default = "yes")]
    pub accepting_new_members: bool,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000, pattern = "circles:text")]
    pub accessibility: Option<String>,
    /// What the group promises about privacy.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000, pattern = "circles:text")]
    pub confidentiality_policy: Option<String>,
    /// Whether members may take part without giving their name.
    #[serde(default)]
    pub anonymous_participation: bool,
    /// Topics that may be hard to hear in this group.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub content_notes: Vec<String>,
    /// Required for `in_person` and `hybrid` groups.
    #[serde(default)]
    pub location: Option<Location>,
    /// Required for `online` and `hybrid` groups.
    #[serde(default)]
    pub online: Option<OnlineDetails>,
    #[serde(default)]
    pub contact: Option<GroupContact>,
    /// `draft` unless set; only `published` groups are public.
    #[serde(default = "default_status")]
    pub status: ListingStatus,
}

fn default_enrollment() -> Enrollment {
    Enrollment::Rolling
}

fn default_status() -> ListingStatus {
    ListingStatus::Draft
}

/// Check an RRULE against its first meeting and zone, as a meeting schedule.
fn check_rrule(c: &mut Checks, s: &Schedule, tz: chrono_tz::Tz) {
    if let Err(e) = crate::recurrence::check_rule(&s.rrule, s.starts_at, tz) {
        c.fail("schedule.rrule", e);
    }
}

impl GroupWrite {
    /// Check every field; normalizes language tags and de-duplicates lists.
    pub fn validate(&mut self) -> Result<(), ApiError> {
        let mut c = Checks::new();
        if let Some(e) = &self.external_id {
            c.text("external_id", e, 1, 200);
        }
        c.line("name", &self.name, 1, 200);
        c.opt_text("summary", self.summary.as_deref(), 500);
        c.opt_text("description", self.description.as_deref(), 10_000);
        if self.topics.is_empty() {
            c.fail("topics", "must list at least one topic");
        }
        match (&self.enrollment, &self.cohort) {
            (Enrollment::Cohort, None) => {
                c.fail("cohort", "is required when `enrollment` is `cohort`")
            }
            (Enrollment::Rolling, Some(_)) => c.fail("cohort", "is only for `cohort` enrollment"),
            (_, Some(k)) if k.ends_on < k.starts_on => {
                c.fail("cohort.ends_on", "must not be before `starts_on`")
            }
            _ => {}
        }
        if let Some(s) = &self.schedule {
            if let Some(tz) = c.timezone("schedule.timezone", &s.timezone) {
                check_rrule(&mut c, s, tz);
            }
            c.range_i64(
                "schedule.duration_minutes",
                Some(s.duration_minutes.into()),
                5,
                1440,
            );
        }
        for (i, l) in self.languages.iter().enumerate() {
            c.language(&format!("languages[{i}]"), l);
        }
        c.text_list("audience", &self.audience, 20, 100);
        c.text_list("content_notes", &self.content_notes, 20, 200);
        self.cost.check(&mut c);
        c.range_i64("capacity", self.capacity.map(i64::from), 1, 100_000);
        c.opt_text("accessibility", self.accessibility.as_deref(), 2000);
        c.opt_text(
            "confidentiality_policy",
            self.confidentiality_policy.as_deref(),
            2000,
        );
        check_place(
            &mut c,
            self.format,
            self.location.as_ref(),
            self.online.as_ref(),
            "groups",
        );
        if let Some(k) = &self.contact {
            c.email("contact.email", k.email.as_deref());
            let country = self.location.as_ref().and_then(|l| l.country.as_deref());
            c.phone("contact.phone", k.phone.as_deref(), country);
            c.url("contact.url", k.url.as_deref());
        }
        c.finish()?;
        normalize_languages(&mut self.languages);
        self.topics.sort();
        self.topics.dedup();
        self.recovery_stages.sort();
        self.recovery_stages.dedup();
        self.support_types.sort();
        self.support_types.dedup();
        self.name = self.name.trim().to_owned();
        Ok(())
    }
}

/// A support group as the public (or its own organization) sees it.
///
/// For the public, `location` and `online.join_url` follow their visibility:
/// with `area_only` only locality, region and country are shown; with
/// `on_request` no location at all.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupResponse {
    pub id: String,
    pub organization: OrganizationSummary,
    pub external_id: Option<String>,
    pub name: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub topics: Vec<Topic>,
    pub format: Format,
    pub enrollment: Enrollment,
    pub cohort: Option<Cohort>,
    pub facilitation: Facilitation,
    pub schedule: Option<Schedule>,
    pub recovery_stages: Vec<RecoveryStage>,
    pub support_types: Vec<SupportType>,
    pub languages: Vec<String>,
    pub audience: Vec<String>,
    pub cost: Cost,
    pub capacity: Option<i32>,
    pub accepting_new_members: bool,
    pub accessibility: Option<String>,
    pub confidentiality_policy: Option<String>,
    pub anonymous_participation: bool,
    pub content_notes: Vec<String>,
    pub location: Option<Location>,
    pub online: Option<OnlineDetails>,
    pub contact: Option<GroupContact>,
    pub status: ListingStatus,
    /// Start of the next meeting (UTC), from the schedule and cohort dates;
    /// `null` when there is none (no schedule, or the cohort has ended).
    pub next_meeting_at: Option<DateTime<Utc>>,
    /// The same instant in the group's time zone, with its UTC offset.
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-01T18:00:00Z")]
    pub next_meeting_local: Option<DateTime<FixedOffset>>,
    /// Grows by one with every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In a `near` search: how far the group is, in km (to 0.1 km; to the
    /// whole km, at least 1, when its place is `on_request`). `null` for an
    /// online group added by `include_online`. Absent outside `near` searches.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 2.4)]
    pub distance_km: Option<Option<f64>>,
    /// In a `q` search sorted by relevance (the default with `q`): how well
    /// the group matches, higher is better: `3` when every word is in its
    /// name, `2` when every word is in its name, topics or summary, `1`
    /// otherwise (its description or its organization's name). Equal scores
    /// come in the order the groups were listed. Absent with other sorts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 3)]
    pub relevance: Option<f64>,
}

/// A page of groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPage {
    pub data: Vec<GroupResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// With `include_total=true`: how many groups match, over all pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 42)]
    pub total: Option<i64>,
    /// With `facets=…`: how many matching groups have each value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<crate::groups::search::Facets>,
}

/// A group's meetings as a recurrence, and its cohort's bounds on the time
/// line (first day's start to the day after the last) for cohort groups.
pub fn meetings(
    schedule: Option<&Schedule>,
    enrollment: Enrollment,
    cohort: Option<&Cohort>,
) -> Option<(Recurrence, Option<Window>)> {
    let s = schedule?;
    let tz: chrono_tz::Tz = s.timezone.parse().ok()?;
    let recurrence = Recurrence {
        tz,
        start_local: s.starts_at,
        duration: Duration::minutes(s.duration_minutes.into()),
        rrule: Some(s.rrule.clone()),
        exdates: vec![],
    };
    let bounds = cohort
        .filter(|_| enrollment == Enrollment::Cohort)
        .map(|c| {
            (
                day_start(tz, c.starts_on),
                day_start(tz, c.ends_on + Duration::days(1)),
            )
        });
    Some((recurrence, bounds))
}

/// Meetings starting in `[from, to)` within the bounds, at most `cap`.
pub fn meetings_between(
    (r, bounds): &(Recurrence, Option<Window>),
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cap: usize,
) -> (Vec<Occurrence>, bool) {
    let (from, to) = match bounds {
        Some((lo, hi)) => (from.max(*lo), to.min(*hi)),
        None => (from, to),
    };
    if from >= to {
        return (vec![], false);
    }
    r.between(from, to, cap)
}

impl GroupWrite {
    /// Meetings starting in `[from, to)` (within the cohort's dates), at most `cap`.
    pub fn occurrences(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cap: usize,
    ) -> (Vec<Occurrence>, bool) {
        match meetings(
            self.schedule.as_ref(),
            self.enrollment,
            self.cohort.as_ref(),
        ) {
            Some(m) => meetings_between(&m, from, to, cap),
            None => (vec![], false),
        }
    }

    /// The next meeting starting at or after `now`, looking two years ahead.
    pub fn next_meeting(
        &self,
        now: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<FixedOffset>)> {
        let tz: chrono_tz::Tz = self.schedule.as_ref()?.timezone.parse().ok()?;
        let o = self
            .occurrences(now, now + Duration::days(731), 1)
            .0
            .into_iter()
            .next()?;
        Some(with_local(o.start, tz))
    }

    pub fn timezone(&self) -> Option<chrono_tz::Tz> {
        self.schedule.as_ref()?.timezone.parse().ok()
    }
}

/// An instant with the same instant in `tz`, as a fixed offset.
pub fn with_local(utc: DateTime<Utc>, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<FixedOffset>) {
    let local = utc.with_timezone(&tz);
    (utc, local.with_timezone(&local.offset().fix()))
}

/// Dated meetings of a group in a window.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOccurrences {
    pub group_id: String,
    pub data: Vec<OccurrenceTimes>,
    /// Whether more meetings in the window were left out (at most 500 are listed).
    pub truncated: bool,
}
