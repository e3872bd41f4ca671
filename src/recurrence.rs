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

use chrono::Datelike;
use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};
use serde::Serialize;
use utoipa::ToSchema;

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

/// A rule that passed the schedule policy, ready to expand from any start.
#[derive(Debug, Clone)]
struct Rule {
    /// The rule with its day defaults made explicit, so that it means the
    /// same from a later start; `UNTIL` given a day's slack (see `parse`).
    rule: RRule<Unvalidated>,
    freq: Frequency,
    interval: u32,
    count: Option<u32>,
    until: Option<DateTime<Utc>>,
}

/// Parse a rule for a series first starting at `start_local` in `tz`, and
/// hold it to what a meeting schedule may be: daily, weekly, monthly or
/// yearly (never by the hour, minute or second), `INTERVAL` at least 1, at
/// most [`MAX_MEETINGS_PER_DAY`] meetings a day and `COUNT` at most
/// [`MAX_COUNT`]. The error is for the rule's field.
fn parse(rule: &str, start_local: NaiveDateTime, tz: chrono_tz::Tz) -> Result<Rule, String> {
    if rule.contains(['\n', '\r'])
        || rule.to_ascii_uppercase().starts_with("RRULE:")
        || rule.len() > 500
    {
        return Err("must be a single RRULE value such as `FREQ=WEEKLY;BYDAY=TU`, without the `RRULE:` prefix".into());
    }
    let mut parsed: RRule<Unvalidated> = rule
        .parse()
        .map_err(|e| format!("is not a valid RFC 5545 recurrence rule: {e}"))?;
    let freq = parsed.get_freq();
    if !matches!(
        freq,
        Frequency::Daily | Frequency::Weekly | Frequency::Monthly | Frequency::Yearly
    ) {
        return Err(format!(
            "FREQ={freq} is not a meeting schedule: use DAILY, WEEKLY, MONTHLY or YEARLY \
             (with BYHOUR and BYMINUTE for up to {MAX_MEETINGS_PER_DAY} meetings a day)"
        ));
    }
    if rule.to_ascii_uppercase().contains("INTERVAL=0") || parsed.get_interval() == 0 {
        return Err("INTERVAL must be at least 1".into());
    }
    let per_day = [
        parsed.get_by_hour().len(),
        parsed.get_by_minute().len(),
        parsed.get_by_second().len(),
    ]
    .iter()
    .map(|n| (*n).max(1))
    .product::<usize>();
    if per_day > MAX_MEETINGS_PER_DAY {
        return Err(format!(
            "holds {per_day} meetings a day; a schedule may hold at most {MAX_MEETINGS_PER_DAY}"
        ));
    }
    if parsed.get_count().is_some_and(|c| c > MAX_COUNT) {
        return Err(format!(
            "COUNT may be at most {MAX_COUNT}; use UNTIL for a longer series"
        ));
    }
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
    // Without a day part, the crate takes the day from DTSTART (RFC 5545
    // §3.3.10): say it, so that a later start (see `Rule::set_from`) keeps it.
    let no_day_part = parsed.get_by_week_no().is_empty()
        && parsed.get_by_year_day().is_empty()
        && parsed.get_by_month_day().is_empty()
        && parsed.get_by_weekday().is_empty();
    if no_day_part {
        let day = i8::try_from(start_local.day()).unwrap_or(1);
        match freq {
            Frequency::Yearly => {
                if parsed.get_by_month().is_empty() {
                    let month =
                        chrono::Month::try_from(u8::try_from(start_local.month()).unwrap_or(1))
                            .unwrap_or(chrono::Month::January);
                    parsed = parsed.by_month(&[month]);
                }
                parsed = parsed.by_month_day(vec![day]);
            }
            Frequency::Monthly => parsed = parsed.by_month_day(vec![day]),
            _ => {}
        }
    }
    let interval = u32::from(parsed.get_interval());
    let count = parsed.get_count();
    let r = Rule {
        rule: parsed,
        freq,
        interval,
        count,
        until: until_utc,
    };
    // Build once from the real start: the crate's own checks.
    r.set_from(start_local, &[])?;
    Ok(r)
}

impl Rule {
    fn set_from(
        &self,
        start: NaiveDateTime,
        exdates: &[NaiveDateTime],
    ) -> Result<RRuleSet, String> {
        let set = self
            .rule
            .clone()
            .build(floating(start))
            .map_err(|e| format!("is not a valid RFC 5545 recurrence rule: {e}"))?;
        Ok(exdates.iter().fold(set, |s, d| s.exdate(floating(*d))))
    }

    /// The latest start, a whole number of the rule's periods (days, weeks,
    /// months, years times its `INTERVAL`) after `start`, at least one
    /// period before `lo`: the series expanded from there meets exactly as
    /// from `start` from `lo` on, so expansion costs the window, not the
    /// series' age. A `COUNT` counts from the real start: no shift (at most
    /// [`MAX_COUNT`] meetings to walk).
    fn shifted_start(&self, start: NaiveDateTime, lo: NaiveDateTime) -> NaiveDateTime {
        if self.count.is_some() || lo <= start {
            return start;
        }
        let n = i64::from(self.interval.max(1));
        let periods = |units: i64| (units / n - 1).max(0) * n;
        match self.freq {
            Frequency::Daily => {
                start + Duration::days(periods((lo.date() - start.date()).num_days()))
            }
            Frequency::Weekly => {
                start + Duration::weeks(periods((lo.date() - start.date()).num_days() / 7))
            }
            Frequency::Monthly | Frequency::Yearly => {
                let months = i64::from(lo.year() - start.year()) * 12 + i64::from(lo.month0())
                    - i64::from(start.month0());
                let step = if self.freq == Frequency::Yearly {
                    periods(months / 12) * 12
                } else {
                    periods(months)
                };
                u32::try_from(step)
                    .ok()
                    .and_then(|m| start.checked_add_months(chrono::Months::new(m)))
                    .unwrap_or(start)
            }
            _ => start,
        }
    }
}

/// Check a rule as a meeting schedule starting at `start_local` in `tz`:
/// the policy of `parse`, at least one meeting, and never more than
/// [`MAX_GAP_DAYS`] between two (checked over its first three years, from
/// which a rule repeats, but for 29 February, which the gap refuses).
pub fn check_rule(rule: &str, start_local: NaiveDateTime, tz: chrono_tz::Tz) -> Result<(), String> {
    let r = parse(rule, start_local, tz)?;
    let horizon = start_local + Duration::days(3 * 365 + 1);
    let found = r
        .set_from(start_local, &[])?
        .before(floating(horizon))
        .all(u16::MAX);
    let dates: Vec<NaiveDateTime> = found.dates.iter().map(|d| d.naive_utc()).collect();
    let Some(first) = dates.first() else {
        return Err("yields no meeting: check its BYxxx parts against `starts_at`".into());
    };
    let gap = Duration::days(MAX_GAP_DAYS);
    let ended = r.count.is_some_and(|c| dates.len() >= c as usize)
        || r.until.is_some_and(|u| u.naive_utc() < horizon);
    let too_sparse = *first - start_local > gap
        || dates.windows(2).any(|w| w[1] - w[0] > gap)
        || (!ended && dates.last().is_some_and(|l| horizon - *l > gap));
    if too_sparse {
        return Err(format!(
            "meets less than once every {MAX_GAP_DAYS} days; a schedule must meet at least once a year"
        ));
    }
    Ok(())
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
            rrule: Some("FREQ=DAILY;BYHOUR=0,6,12,18".into()),
            exdates: vec![],
        };
        let (occ, truncated) = r.between(
            utc("2026-01-01T00:00:00Z"),
            utc("2026-07-01T00:00:00Z"),
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
        let now = Utc::now();
        let far = |days: i64| now + Duration::days(days);
        assert!(check_window(Some(far(-1800)), Some(far(-1700))).is_ok());
        assert!(check_window(Some(far(-1900)), Some(far(-1800))).is_err());
        assert!(check_window(Some(far(1800)), Some(far(1900))).is_err());
    }

    fn series(start: &str, rule: &str) -> Recurrence {
        Recurrence {
            tz: London,
            start_local: at(start),
            duration: Duration::minutes(60),
            rrule: Some(rule.into()),
            exdates: vec![],
        }
    }

    #[test]
    fn the_schedule_policy_refuses_what_no_group_meets_by() {
        for (rule, why) in [
            ("FREQ=SECONDLY", "FREQ=SECONDLY"),
            ("FREQ=MINUTELY", "FREQ=MINUTELY"),
            ("FREQ=HOURLY", "FREQ=HOURLY"),
            ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
            ("FREQ=DAILY;BYHOUR=1,2,3,4,5", "5 meetings a day"),
            (
                "FREQ=WEEKLY;BYHOUR=9,10;BYMINUTE=0,30,45",
                "6 meetings a day",
            ),
            ("FREQ=WEEKLY;COUNT=100000", "COUNT"),
            ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no meeting"),
            ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "once a year"),
            ("FREQ=YEARLY;INTERVAL=2", "once a year"),
            ("FREQ=DAILY;INTERVAL=400", "once a year"),
        ] {
            let e = series("2028-02-29T18:00:00", rule).validate().unwrap_err();
            assert!(e.contains(why), "{rule}: {e}");
        }
        for rule in [
            "FREQ=WEEKLY;BYDAY=TU",
            "FREQ=DAILY;BYHOUR=9,13,17,20",
            "FREQ=MONTHLY;BYDAY=1SA",
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "FREQ=YEARLY",
            "FREQ=WEEKLY;COUNT=1000",
            "FREQ=WEEKLY;INTERVAL=52",
            "FREQ=DAILY;UNTIL=20290305T000000Z",
        ] {
            assert_eq!(
                series("2028-03-07T18:00:00", rule).validate(),
                Ok(()),
                "{rule}"
            );
        }
    }

    /// Expanding from far before the window meets exactly as the series does
    /// from its start (the shift keeps day, week, month and interval phase).
    #[test]
    fn expansion_from_a_shifted_start_matches_the_whole_series() {
        for (start, rule) in [
            ("2026-01-31T18:00:00", "FREQ=MONTHLY"),
            ("2026-01-31T18:00:00", "FREQ=MONTHLY;INTERVAL=5"),
            ("2026-03-29T01:30:00", "FREQ=DAILY;INTERVAL=3"),
            ("2026-01-06T18:00:00", "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SA"),
            ("2026-01-06T18:00:00", "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR"),
            (
                "2024-02-29T10:00:00",
                "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1",
            ),
            ("2026-05-17T10:00:00", "FREQ=YEARLY"),
            ("2026-01-06T18:00:00", "FREQ=WEEKLY;UNTIL=20290101T000000Z"),
        ] {
            let r = series(start, rule);
            let from = utc("2028-06-10T00:00:00Z");
            let to = utc("2029-06-01T00:00:00Z");
            let (got, _) = r.between(from, to, 500);
            // The whole series from its start, with the crate alone.
            let p = parse(rule, r.start_local, r.tz).unwrap();
            let all: Vec<Occurrence> = p
                .set_from(r.start_local, &[])
                .unwrap()
                .before(floating(at("2029-06-03T00:00:00")))
                .all(u16::MAX)
                .dates
                .iter()
                .map(|d| r.occurrence(d.naive_utc()))
                .filter(|o| o.start >= from && o.start < to)
                .filter(|o| p.until.is_none_or(|u| o.start <= u))
                .collect();
            assert!(!all.is_empty(), "{rule}");
            assert_eq!(got, all, "{start} {rule}");
        }
    }

    /// Work is bounded by the window: a series from year 1 answers a window
    /// in year 2030 (before, it walked two thousand years of it).
    #[test]
    fn an_ancient_start_costs_the_window_only() {
        let r = series("0001-01-01T09:00:00", "FREQ=DAILY;BYHOUR=9,12,15,18");
        let (occ, truncated) = r.between(
            utc("2030-01-01T00:00:00Z"),
            utc("2030-01-08T00:00:00Z"),
            500,
        );
        assert_eq!(occ.len(), 28);
        assert!(!truncated);
        assert!(r.next_after(utc("2030-01-01T10:00:00Z")).is_some());
    }
}
