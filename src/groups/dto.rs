//! Request and response types of support groups.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::validate::{normalize_language, Checks};
use crate::vocab::*;

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
    /// RFC 5545 RRULE value, without the `RRULE:` prefix.
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

/// What taking part costs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    pub kind: CostKind,
    /// Decimal amount, for `paid` (required) and `sliding_scale` (optional).
    #[serde(default)]
    #[schema(example = "5.00", pattern = r"^\d{1,7}(\.\d{1,2})?$")]
    pub amount: Option<String>,
    /// ISO 4217 currency code, with `amount`.
    #[serde(default)]
    #[schema(example = "GBP", pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
}

impl Default for Cost {
    fn default() -> Self {
        Cost {
            kind: CostKind::Free,
            amount: None,
            currency: None,
        }
    }
}

/// Where an in-person or hybrid group meets, and who may see it.
///
/// With `area_only`, the public sees the locality, region and country only;
/// with `on_request`, nothing but the visibility itself.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Who may see the address; `area_only` unless set.
    #[serde(default = "default_location_visibility")]
    pub visibility: Visibility,
    /// Name of the venue.
    #[serde(default)]
    #[schema(example = "St Anne's community hall")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(example = "12 Cedar Road")]
    pub street_address: Option<String>,
    /// Town or city; required when writing.
    #[serde(default)]
    #[schema(example = "London")]
    pub locality: Option<String>,
    #[serde(default)]
    #[schema(example = "Greater London")]
    pub region: Option<String>,
    #[serde(default)]
    #[schema(example = "N1 7AA")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code; required when writing.
    #[serde(default)]
    #[schema(example = "GB")]
    pub country: Option<String>,
    #[serde(default)]
    #[schema(example = 51.5362, minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[serde(default)]
    #[schema(example = -0.1034, minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

fn default_location_visibility() -> Visibility {
    Visibility::AreaOnly
}

fn default_join_visibility() -> Visibility {
    Visibility::OnRequest
}

/// How to join an online or hybrid group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OnlineDetails {
    /// E.g. `Zoom`, `Jitsi`, `Discord`.
    #[serde(default)]
    #[schema(example = "Jitsi")]
    pub platform: Option<String>,
    /// Link to join; hidden from the public unless `join_url_visibility` is `public`.
    #[serde(default)]
    #[schema(example = "https://meet.jit.si/circles-grief-tuesday")]
    pub join_url: Option<String>,
    /// Who may see the join link; `on_request` unless set.
    #[serde(default = "default_join_visibility")]
    pub join_url_visibility: Visibility,
    /// Public instructions, e.g. how to ask for the link.
    #[serde(default)]
    #[schema(example = "Email us and we'll send the link before the session.")]
    pub instructions: Option<String>,
}

/// How to contact the group's organizers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct GroupContact {
    #[serde(default)]
    #[schema(example = "circles@friendsofash.org")]
    pub email: Option<String>,
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
    pub external_id: Option<String>,
    pub name: String,
    /// One or two sentences shown in lists.
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// What the group is about; at least one.
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
    /// BCP 47 language tags.
    #[serde(default)]
    #[schema(example = json!(["en"]))]
    pub languages: Vec<String>,
    /// Who the group is for, in words (e.g. `youth`, `veterans`, `LGBTQ+`).
    #[serde(default)]
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
    pub accessibility: Option<String>,
    /// What the group promises about privacy.
    #[serde(default)]
    pub confidentiality_policy: Option<String>,
    /// Whether members may take part without giving their name.
    #[serde(default)]
    pub anonymous_participation: bool,
    /// Topics that may be hard to hear in this group.
    #[serde(default)]
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

fn valid_amount(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    (1..=7).contains(&int.len())
        && int.chars().all(|c| c.is_ascii_digit())
        && (!s.contains('.') || (1..=2).contains(&frac.len()))
        && frac.chars().all(|c| c.is_ascii_digit())
}

/// Check an RRULE against its first meeting and zone with the rrule crate.
fn check_rrule(c: &mut Checks, s: &Schedule, tz: chrono_tz::Tz) {
    if s.rrule.contains(['\n', '\r'])
        || s.rrule.to_ascii_uppercase().starts_with("RRULE:")
        || s.rrule.len() > 500
    {
        c.fail("schedule.rrule", "must be a single RRULE value such as `FREQ=WEEKLY;BYDAY=TU`, without the `RRULE:` prefix");
        return;
    }
    let text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{}",
        tz.name(),
        s.starts_at.format("%Y%m%dT%H%M%S"),
        s.rrule
    );
    if let Err(e) = text.parse::<rrule::RRuleSet>() {
        c.fail(
            "schedule.rrule",
            format!("is not a valid RFC 5545 recurrence rule: {e}"),
        );
    }
}

impl GroupWrite {
    /// Check every field; normalizes language tags and de-duplicates lists.
    pub fn validate(&mut self) -> Result<(), ApiError> {
        let mut c = Checks::new();
        if let Some(e) = &self.external_id {
            c.text("external_id", e, 1, 200);
        }
        c.text("name", &self.name, 1, 200);
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
        match (self.cost.kind, &self.cost.amount, &self.cost.currency) {
            (CostKind::Paid, None, _) => c.fail("cost.amount", "is required when `kind` is `paid`"),
            (CostKind::Free | CostKind::Donation, Some(_), _) => {
                c.fail("cost.amount", "is only for `paid` and `sliding_scale`")
            }
            (_, Some(_), None) => c.fail("cost.currency", "is required with `amount`"),
            (_, None, Some(_)) => c.fail("cost.currency", "is only allowed with `amount`"),
            _ => {}
        }
        if let Some(a) = &self.cost.amount {
            if !valid_amount(a) {
                c.fail("cost.amount", "must be a decimal such as `5` or `12.50`");
            }
        }
        if let Some(cur) = &self.cost.currency {
            if !(cur.len() == 3 && cur.chars().all(|ch| ch.is_ascii_uppercase())) {
                c.fail("cost.currency", "must be an ISO 4217 code such as `GBP`");
            }
        }
        c.range_i64("capacity", self.capacity.map(i64::from), 1, 100_000);
        c.opt_text("accessibility", self.accessibility.as_deref(), 2000);
        c.opt_text(
            "confidentiality_policy",
            self.confidentiality_policy.as_deref(),
            2000,
        );
        let needs_location = matches!(self.format, Format::InPerson | Format::Hybrid);
        let needs_online = matches!(self.format, Format::Online | Format::Hybrid);
        match &self.location {
            None if needs_location => c.fail(
                "location",
                "is required for `in_person` and `hybrid` groups",
            ),
            None => {}
            Some(l) => {
                c.opt_text("location.name", l.name.as_deref(), 200);
                c.opt_text("location.street_address", l.street_address.as_deref(), 300);
                match &l.locality {
                    None => c.fail("location.locality", "is required"),
                    Some(v) => c.text("location.locality", v, 1, 200),
                }
                c.opt_text("location.region", l.region.as_deref(), 200);
                c.opt_text("location.postal_code", l.postal_code.as_deref(), 20);
                if l.country.is_none() {
                    c.fail("location.country", "is required");
                }
                c.country("location.country", l.country.as_deref());
                match (l.latitude, l.longitude) {
                    (Some(lat), Some(lon)) => {
                        if !(-90.0..=90.0).contains(&lat) {
                            c.fail("location.latitude", "must be between -90 and 90");
                        }
                        if !(-180.0..=180.0).contains(&lon) {
                            c.fail("location.longitude", "must be between -180 and 180");
                        }
                    }
                    (None, None) => {}
                    _ => c.fail("location", "`latitude` and `longitude` go together"),
                }
            }
        }
        match &self.online {
            None if needs_online => {
                c.fail("online", "is required for `online` and `hybrid` groups")
            }
            None => {}
            Some(o) => {
                c.opt_text("online.platform", o.platform.as_deref(), 100);
                c.url("online.join_url", o.join_url.as_deref());
                c.opt_text("online.instructions", o.instructions.as_deref(), 2000);
            }
        }
        if let Some(k) = &self.contact {
            c.email("contact.email", k.email.as_deref());
            c.phone("contact.phone", k.phone.as_deref());
            c.url("contact.url", k.url.as_deref());
        }
        c.finish()?;
        self.languages = self
            .languages
            .iter()
            .map(|l| normalize_language(l))
            .collect();
        let mut seen = std::collections::HashSet::new();
        self.languages.retain(|l| seen.insert(l.clone()));
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

/// The organization behind a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganizationSummary {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub verified: bool,
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
    /// Grows by one with every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPage {
    pub data: Vec<GroupResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Hide what the public may not see.
pub fn public_location(l: &Location) -> Location {
    match l.visibility {
        Visibility::Public => l.clone(),
        Visibility::AreaOnly => Location {
            visibility: Visibility::AreaOnly,
            name: None,
            street_address: None,
            locality: l.locality.clone(),
            region: l.region.clone(),
            postal_code: None,
            country: l.country.clone(),
            latitude: None,
            longitude: None,
        },
        Visibility::OnRequest => Location {
            visibility: Visibility::OnRequest,
            name: None,
            street_address: None,
            locality: None,
            region: None,
            postal_code: None,
            country: None,
            latitude: None,
            longitude: None,
        },
    }
}

pub fn public_online(o: &OnlineDetails) -> OnlineDetails {
    let mut o = o.clone();
    if o.join_url_visibility != Visibility::Public {
        o.join_url = None;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        for ok in ["5", "12.50", "0.5", "1234567"] {
            assert!(valid_amount(ok), "{ok}");
        }
        for bad in ["", ".5", "5.", "1.234", "-1", "1e3", "12345678"] {
            assert!(!valid_amount(bad), "{bad}");
        }
    }
}
