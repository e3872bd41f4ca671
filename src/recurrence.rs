//! Recurrence in a listing's own time zone.
//!
//! Rules are expanded by the `rrule` crate in wall-clock time (the local
//! times are fed to it as if they were UTC), so a weekly 18:00 meeting stays
//! at 18:00 local on both sides of a daylight-saving change. Each local time
//! is then placed on the time line following RFC 5545 §3.3.5:
//! - a local time that occurs twice (the autumn overlap) is the *first* one,
//!   i.e. the earlier instant, still on summer time;
//! - a local time that does not exist (the spring gap) is read with the UTC
//!   offset in force before the gap, so 02:30 on the day New York skips from
//!   02:00 to 03:00 becomes 03:30 EDT.

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use rrule::{RRule, RRuleSet, Unvalidated};
use serde::Serialize;
use utoipa::ToSchema;

/// Most occurrences returned for one listing in one window.
pub const MAX_OCCURRENCES_PER_LISTING: usize = 500;
/// Longest window that may be asked for, in days.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// When a listing meets: first local start, local length, rule, exceptions.
#[derive(Debug, Clone)]
pub struct Recurrence {
    pub tz: chrono_tz::Tz,
    pub start_local: NaiveDateTime,
    pub duration: Duration,
    pub rrule: Option<String>,
    pub exdates: Vec<NaiveDateTime>,
}

/// One dated occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// An occurrence's times as served: UTC, and local with offset and zone.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct OccurrenceTimes {
    /// Start, UTC.
    #[schema(example = "2026-03-31T17:00:00Z")]
    pub starts_at: DateTime<Utc>,
    /// End, UTC.
    #[schema(example = "2026-03-31T18:30:00Z")]
    pub ends_at: DateTime<Utc>,
    /// Start in the listing's time zone, with its UTC offset.
    #[schema(value_type = String, format = DateTime, example = "2026-03-31T18:00:00+01:00")]
    pub local_starts_at: DateTime<FixedOffset>,
    /// End in the listing's time zone, with its UTC offset.
    #[schema(value_type = String, format = DateTime, example = "2026-03-31T19:30:00+01:00")]
    pub local_ends_at: DateTime<FixedOffset>,
    /// IANA time-zone name of the local times.
    #[schema(example = "Europe/London")]
    pub timezone: String,
}

impl OccurrenceTimes {
    pub fn new(o: &Occurrence, tz: chrono_tz::Tz) -> Self {
        let local = |t: DateTime<Utc>| {
            let l = t.with_timezone(&tz);
            l.with_timezone(&l.offset().fix())
        };
        OccurrenceTimes {
            starts_at: o.start,
            ends_at: o.end,
            local_starts_at: local(o.start),
            local_ends_at: local(o.end),
            timezone: tz.name().to_owned(),
        }
    }
}

/// Place a local wall-clock time on the time line (RFC 5545 §3.3.5).
pub fn resolve_local(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // Transitions are months apart: a day earlier the old offset holds.
            let before = tz
                .offset_from_utc_datetime(&(local - Duration::days(1)))
                .fix();
            Utc.from_utc_datetime(&(local - Duration::seconds(before.local_minus_utc().into())))
        }
    }
}

fn floating(local: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&local)
}

/// Parse and validate a rule against its first local start, in floating time.
pub fn rule_set(
    rule: &str,
    start_local: NaiveDateTime,
    tz: chrono_tz::Tz,
    exdates: &[NaiveDateTime],
) -> Result<(RRuleSet, Option<DateTime<Utc>>), String> {
    if rule.contains(['\n', '\r'])
        || rule.to_ascii_uppercase().starts_with("RRULE:")
        || rule.len() > 500
    {
        return Err("must be a single RRULE value such as `FREQ=WEEKLY;BYDAY=TU`, without the `RRULE:` prefix".into());
    }
    let mut parsed: RRule<Unvalidated> = rule
        .parse()
        .map_err(|e| format!("is not a valid RFC 5545 recurrence rule: {e}"))?;
    let mut until_utc = None;
    if let Some(until) = parsed.get_until().copied() {
        until_utc = Some(until.with_timezone(&Utc));
        if until.timezone().name() != "UTC" {
            return Err(
                "UNTIL must be a UTC date-time such as `20270101T000000Z` (RFC 5545 §3.3.10)"
                    .into(),
            );
        }
        // Expansion runs in wall-clock time, where UNTIL is not exact around
        // a DST change: give the rule a day's slack and cut on the time line.
        parsed = parsed.until(floating(
            until.with_timezone(&tz).naive_local() + Duration::days(1),
        ));
    }
    let set = parsed
        .build(floating(start_local))
        .map_err(|e| format!("is not a valid RFC 5545 recurrence rule: {e}"))?;
    Ok((
        exdates.iter().fold(set, |s, d| s.exdate(floating(*d))),
        until_utc,
    ))
}

impl Recurrence {
    /// Check the rule; the error message is for the `rrule` field.
    pub fn validate(&self) -> Result<(), String> {
        match &self.rrule {
            Some(r) => rule_set(r, self.start_local, self.tz, &self.exdates).map(|_| ()),
            None => Ok(()),
        }
    }

    fn occurrence(&self, start_local: NaiveDateTime) -> Occurrence {
        let start = resolve_local(self.tz, start_local);
        Occurrence {
            start,
            end: start + self.duration,
        }
    }

    /// Occurrences starting in `[from, to)`, at most `cap`; the flag says
    /// whether more were left out.
    pub fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cap: usize,
    ) -> (Vec<Occurrence>, bool) {
        let in_window = |o: &Occurrence| o.start >= from && o.start < to;
        let Some(rule) = &self.rrule else {
            let o = self.occurrence(self.start_local);
            return (
                if in_window(&o) && !self.exdates.contains(&self.start_local) {
                    vec![o]
                } else {
                    vec![]
                },
                false,
            );
        };
        let Ok((set, until)) = rule_set(rule, self.start_local, self.tz, &self.exdates) else {
            return (vec![], false);
        };
        let in_window = |o: &Occurrence| in_window(o) && until.is_none_or(|u| o.start <= u);
        // Widen by a day each side in wall-clock time, then filter exactly.
        let lo = from.with_timezone(&self.tz).naive_local() - Duration::days(1);
        let hi = to.with_timezone(&self.tz).naive_local() + Duration::days(1);
        let limit = u16::try_from(cap + 64).unwrap_or(u16::MAX);
        let result = set.after(floating(lo)).before(floating(hi)).all(limit);
        let mut out: Vec<Occurrence> = result
            .dates
            .iter()
            .map(|d| self.occurrence(d.naive_utc()))
            .filter(in_window)
            .collect();
        out.sort_by_key(|o| o.start);
        out.dedup();
        let truncated = out.len() > cap || (result.limited && out.len() >= cap);
        out.truncate(cap);
        (out, truncated)
    }

    /// The first occurrence starting at or after `from`, looking up to two years ahead.
    pub fn next_after(&self, from: DateTime<Utc>) -> Option<Occurrence> {
        self.between(from, from + Duration::days(731), 1)
            .0
            .into_iter()
            .next()
    }

    /// First start and last end on the time line (`None`: no end).
    pub fn span(&self) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        let first = self.occurrence(self.start_local);
        let Some(rule) = &self.rrule else {
            return (first.start, Some(first.end));
        };
        match rule_set(rule, self.start_local, self.tz, &self.exdates) {
            Ok((set, until)) => {
                let all = set.all(5000);
                if all.limited {
                    (first.start, None)
                } else {
                    let last = all
                        .dates
                        .iter()
                        .map(|d| self.occurrence(d.naive_utc()))
                        .filter(|o| until.is_none_or(|u| o.start <= u))
                        .map(|o| o.end)
                        .max();
                    (first.start, Some(last.unwrap_or(first.end)))
                }
            }
            Err(_) => (first.start, Some(first.end)),
        }
    }
}

/// The exact length between two local times (RFC 5545: DTEND − DTSTART on
/// the time line, so a night across a DST change lasts an hour more or less
/// than the wall clock says).
pub fn exact_duration(
    tz: chrono_tz::Tz,
    start_local: NaiveDateTime,
    end_local: NaiveDateTime,
) -> Duration {
    resolve_local(tz, end_local) - resolve_local(tz, start_local)
}

/// A window on the time line: `[from, to)`.
pub type Window = (DateTime<Utc>, DateTime<Utc>);

/// Start of a local day on the time line.
pub fn day_start(tz: chrono_tz::Tz, day: NaiveDate) -> DateTime<Utc> {
    resolve_local(tz, day.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// Check a requested window: both ends given, `from < to`, at most a year.
pub fn check_window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Option<Window>, crate::error::ApiError> {
    use crate::error::{ApiError, FieldError};
    match (from, to) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ApiError::InvalidQuery(FieldError::new(
            "to",
            "is required with `from`",
        ))),
        (None, Some(_)) => Err(ApiError::InvalidQuery(FieldError::new(
            "from",
            "is required with `to`",
        ))),
        (Some(f), Some(t)) if t <= f => Err(ApiError::InvalidQuery(FieldError::new(
            "to",
            "must be after `from`",
        ))),
        (Some(f), Some(t)) if t - f > Duration::days(MAX_WINDOW_DAYS) => {
            Err(ApiError::InvalidQuery(FieldError::new(
                "to",
                format!("the window may span at most {MAX_WINDOW_DAYS} days"),
            )))
        }
        (Some(f), Some(t)) => Ok(Some((f, t))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::London;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn gap_and_overlap_follow_rfc5545() {
        // New York skips 02:00–03:00 on 2026-03-08: 02:30 reads as EST, i.e. 03:30 EDT.
        assert_eq!(
            resolve_local(New_York, at("2026-03-08T02:30:00")),
            utc("2026-03-08T07:30:00Z")
        );
        // 01:30 occurs twice on 2026-11-01: the first (EDT) is meant.
        assert_eq!(
            resolve_local(New_York, at("2026-11-01T01:30:00")),
            utc("2026-11-01T05:30:00Z")
        );
        // London: 01:30 on 2026-03-29 does not exist; 01:30 on 2026-10-25 happens twice.
        assert_eq!(
            resolve_local(London, at("2026-03-29T01:30:00")),
            utc("2026-03-29T01:30:00Z")
        );
        assert_eq!(
            resolve_local(London, at("2026-10-25T01:30:00")),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn weekly_stays_at_local_time_across_dst() {
        let r = Recurrence {
            tz: London,
            start_local: at("2026-03-03T18:00:00"),
            duration: Duration::minutes(90),
            rrule: Some("FREQ=WEEKLY;BYDAY=TU".into()),
            exdates: vec![],
        };
        let (occ, truncated) = r.between(
            utc("2026-03-20T00:00:00Z"),
            utc("2026-04-10T00:00:00Z"),
            100,
        );
        assert!(!truncated);
        let starts: Vec<_> = occ.iter().map(|o| o.start).collect();
        assert_eq!(
            starts,
            vec![
                utc("2026-03-24T18:00:00Z"),
                utc("2026-03-31T17:00:00Z"),
                utc("2026-04-07T17:00:00Z")
            ]
        );
        assert_eq!(occ[1].end - occ[1].start, Duration::minutes(90));
    }

    #[test]
    fn until_is_utc_and_exdates_apply() {
        let mut r = Recurrence {
            tz: New_York,
            start_local: at("2026-01-05T19:00:00"),
            duration: Duration::hours(1),
            rrule: Some("FREQ=WEEKLY;UNTIL=20260127T000000Z".into()),
            exdates: vec![at("2026-01-12T19:00:00")],
        };
        let (occ, _) = r.between(
            utc("2026-01-01T00:00:00Z"),
            utc("2026-03-01T00:00:00Z"),
            100,
        );
        // 5th, (12th excluded), 19th, 26th (19:00 EST = 00:00Z on the 27th: included, UNTIL is inclusive).
        assert_eq!(occ.len(), 3);
        assert_eq!(r.span().1, Some(utc("2026-01-27T01:00:00Z")));
        r.rrule = Some("FREQ=WEEKLY;UNTIL=20260127T000000".into());
        assert!(r.validate().is_err());
    }

    #[test]
    fn caps_and_windows() {
        let r = Recurrence {
            tz: chrono_tz::UTC,
            start_local: at("2026-01-01T00:00:00"),
            duration: Duration::minutes(30),
            rrule: Some("FREQ=HOURLY".into()),
            exdates: vec![],
        };
        let (occ, truncated) = r.between(
            utc("2026-01-01T00:00:00Z"),
            utc("2026-02-01T00:00:00Z"),
            500,
        );
        assert_eq!(occ.len(), 500);
        assert!(truncated);
        assert_eq!(r.span().1, None);
        assert!(check_window(
            Some(utc("2026-01-01T00:00:00Z")),
            Some(utc("2027-01-03T00:00:00Z"))
        )
        .is_err());
        assert!(check_window(Some(utc("2026-01-01T00:00:00Z")), None).is_err());
    }
}
