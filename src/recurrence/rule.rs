//! A recurrence rule held to what a meeting schedule may be, and expanded
//! from a start a period or two before the window asked for.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Utc};
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

use super::{floating, MAX_COUNT, MAX_GAP_DAYS, MAX_MEETINGS_PER_DAY};

/// A rule that passed the schedule policy, ready to expand from any start.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    /// The rule with its day defaults made explicit, so that it means the
    /// same from a later start; `UNTIL` given a day's slack (see `parse`).
    pub(super) rule: RRule<Unvalidated>,
    pub(super) freq: Frequency,
    pub(super) interval: u32,
    pub(super) count: Option<u32>,
    pub(super) until: Option<DateTime<Utc>>,
}

/// Parse a rule for a series first starting at `start_local` in `tz`, and
/// hold it to what a meeting schedule may be: daily, weekly, monthly or
/// yearly (never by the hour, minute or second), `INTERVAL` at least 1, at
/// most [`MAX_MEETINGS_PER_DAY`] meetings a day and `COUNT` at most
/// [`MAX_COUNT`]. The error is for the rule's field.
pub(super) fn parse(
    rule: &str,
    start_local: NaiveDateTime,
    tz: chrono_tz::Tz,
) -> Result<Rule, String> {
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
    pub(super) fn set_from(
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
    pub(super) fn shifted_start(&self, start: NaiveDateTime, lo: NaiveDateTime) -> NaiveDateTime {
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
///
/// Walking three years of a series costs up to a few thousand occurrences,
/// and a partner re-syncing its directory sends the same schedules again
/// and again: verdicts are remembered (the last [`REMEMBERED`] of them).
pub fn check_rule(rule: &str, start_local: NaiveDateTime, tz: chrono_tz::Tz) -> Result<(), String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Verdicts = HashMap<(String, NaiveDateTime, chrono_tz::Tz), Result<(), String>>;
    static SEEN: OnceLock<Mutex<Verdicts>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let key = (rule.to_owned(), start_local, tz);
    if let Some(v) = seen.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return v;
    }
    let verdict = check_rule_uncached(rule, start_local, tz);
    if let Ok(mut m) = seen.lock() {
        if m.len() >= REMEMBERED {
            m.clear();
        }
        m.insert(key, verdict.clone());
    }
    verdict
}

/// How many verdicts of [`check_rule`] are remembered.
const REMEMBERED: usize = 10_000;

fn check_rule_uncached(
    rule: &str,
    start_local: NaiveDateTime,
    tz: chrono_tz::Tz,
) -> Result<(), String> {
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
