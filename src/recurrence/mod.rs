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

mod rule;
#[cfg(test)]
mod tests;

use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use serde::Serialize;
use utoipa::ToSchema;

pub use rule::check_rule;
use rule::parse;

/// Most occurrences returned for one listing in one window.
pub const MAX_OCCURRENCES_PER_LISTING: usize = 500;
/// Longest window that may be asked for, in days.
pub const MAX_WINDOW_DAYS: i64 = 366;
/// How far from now either end of a window may lie, in days (five years).
pub const MAX_WINDOW_DISTANCE_DAYS: i64 = 1827;
/// Most meetings a schedule may hold on one day.
pub const MAX_MEETINGS_PER_DAY: usize = 4;
/// Longest `COUNT` a rule may have (`UNTIL` says "until" for longer series).
pub const MAX_COUNT: u32 = 1000;
/// Longest time between two meetings of a series, in days: a rule that meets
/// less than once a year is no recurring meeting (and would cost a search
/// for its next date long stretches of calendar).
pub const MAX_GAP_DAYS: i64 = 366;

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

impl Recurrence {
    /// Check the rule as a meeting schedule; the error message is for the
    /// `rrule` field.
    pub fn validate(&self) -> Result<(), String> {
        match &self.rrule {
            Some(r) => check_rule(r, self.start_local, self.tz),
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
    /// whether more were left out. The work is bounded by the window and
    /// `cap`, never by how long ago the series began: expansion starts a
    /// period or two before the window (see `Rule::shifted_start`). A stored
    /// rule that the schedule policy refuses yields nothing.
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
        let Ok(r) = parse(rule, self.start_local, self.tz) else {
            return (vec![], false);
        };
        if from >= to || r.until.is_some_and(|u| u < from) {
            return (vec![], false);
        }
        let until = r.until;
        let in_window = |o: &Occurrence| in_window(o) && until.is_none_or(|u| o.start <= u);
        // Widen by a day each side in wall-clock time, then filter exactly.
        let lo = from.with_timezone(&self.tz).naive_local() - Duration::days(1);
        let hi = to.with_timezone(&self.tz).naive_local() + Duration::days(1);
        let Ok(set) = r.set_from(r.shifted_start(self.start_local, lo), &self.exdates) else {
            return (vec![], false);
        };
        let limit = u16::try_from(cap.saturating_add(64)).unwrap_or(u16::MAX);
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

    /// First start and last end on the time line (`None`: no end). A series
    /// with `COUNT` is walked (at most [`MAX_COUNT`] meetings); one with
    /// `UNTIL` is looked at over its last year only.
    pub fn span(&self) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        let first = self.occurrence(self.start_local);
        let Some(rule) = &self.rrule else {
            return (first.start, Some(first.end));
        };
        let Ok(r) = parse(rule, self.start_local, self.tz) else {
            return (first.start, Some(first.end));
        };
        let last = match (r.count, r.until) {
            (None, None) => return (first.start, None),
            (Some(_), _) => r.set_from(self.start_local, &self.exdates).ok().map(|set| {
                set.all(u16::MAX)
                    .dates
                    .iter()
                    .map(|d| self.occurrence(d.naive_utc()))
                    .filter(|o| r.until.is_none_or(|u| o.start <= u))
                    .map(|o| o.end)
                    .max()
            }),
            (None, Some(until)) => {
                let from = (until - Duration::days(MAX_GAP_DAYS + 1)).max(first.start);
                let (found, _) = self.between(from, until + Duration::seconds(1), usize::MAX);
                // No meeting in the last year: a stored rule from before the
                // policy; its UNTIL still bounds it.
                Some(found.last().map(|o| o.end).or(Some(until + self.duration)))
            }
        };
        (
            first.start,
            Some(last.flatten().unwrap_or(first.end).max(first.end)),
        )
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

/// Check a requested window: both ends given, `from < to`, at most a year,
/// within five years of now.
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
        (Some(f), Some(t)) => {
            let now = Utc::now();
            let reach = Duration::days(MAX_WINDOW_DISTANCE_DAYS);
            if f < now - reach {
                Err(ApiError::InvalidQuery(FieldError::new(
                    "from",
                    format!(
                        "may be at most {MAX_WINDOW_DISTANCE_DAYS} days (five years) in the past"
                    ),
                )))
            } else if t > now + reach {
                Err(ApiError::InvalidQuery(FieldError::new(
                    "to",
                    format!("may be at most {MAX_WINDOW_DISTANCE_DAYS} days (five years) ahead"),
                )))
            } else {
                Ok(Some((f, t)))
            }
        }
    }
}
