//! Dates, times and expected series for the occurrence tests: parse the
//! JSON's instants, list every n-th day, and check an event's occurrences
//! against expected local wall times and UTC offsets.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde_json::{json, Value};

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

pub fn utc(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .with_timezone(&Utc)
}

pub fn local(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// Whether `t` (RFC 3339) is still ahead: `next_occurrence` is only
/// checked for dates that have not passed.
pub fn upcoming(t: &str) -> bool {
    Utc::now() < utc(&json!(t))
}

/// Every `step` days from `first`, before `end`.
pub fn every(first: NaiveDate, step: i64, end: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = first;
    while d < end {
        out.push(d);
        d += Duration::days(step);
    }
    out
}

/// An expected occurrence: local wall time and UTC offset in hours.
#[derive(Debug, PartialEq, Clone)]
pub struct Expected {
    pub local: NaiveDateTime,
    pub offset_hours: i32,
}

impl Expected {
    pub fn new(local: NaiveDateTime, offset_hours: i32) -> Expected {
        Expected {
            local,
            offset_hours,
        }
    }
    pub fn utc(&self) -> DateTime<Utc> {
        (self.local - Duration::hours(self.offset_hours.into())).and_utc()
    }
}

pub fn at(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    d.and_hms_opt(h, m, 0).expect("a time")
}

/// Check the occurrences of one event against expectations: UTC start,
/// local start with its offset, the end after `minutes`, the zone.
pub fn check_series(
    what: &str,
    occurrences: &[Value],
    event_id: &str,
    tz: &str,
    minutes: i64,
    expected: &[Expected],
) {
    let mine: Vec<&Value> = occurrences
        .iter()
        .filter(|o| o["event_id"] == event_id)
        .collect();
    let got: Vec<String> = mine
        .iter()
        .map(|o| format!("{} / {}", o["starts_at"], o["local_starts_at"]))
        .collect();
    assert_eq!(
        mine.len(),
        expected.len(),
        "{what}: {} occurrences instead of {}: {got:#?}",
        mine.len(),
        expected.len()
    );
    for (o, e) in mine.iter().zip(expected) {
        let start = utc(&o["starts_at"]);
        let local_start = local(&o["local_starts_at"]);
        assert_eq!(start, e.utc(), "{what}: UTC start of {e:?}: {got:#?}");
        assert_eq!(
            local_start.naive_local(),
            e.local,
            "{what}: local start: {got:#?}"
        );
        assert_eq!(
            local_start.offset().local_minus_utc(),
            e.offset_hours * 3600,
            "{what}: offset of {e:?}: {got:#?}"
        );
        assert_eq!(start, local_start.with_timezone(&Utc), "{what}: {o}");
        let end = utc(&o["ends_at"]);
        assert_eq!(end - start, Duration::minutes(minutes), "{what}: {o}");
        assert_eq!(
            local(&o["local_ends_at"]).with_timezone(&Utc),
            end,
            "{what}: {o}"
        );
        assert_eq!(o["timezone"], tz, "{what}: {o}");
        assert_eq!(o["event"]["id"], event_id, "{what}: {o}");
    }
}

/// London: BST from 2027-03-28 01:00Z to 2027-10-31 01:00Z.
pub fn london_offset(d: NaiveDate) -> i32 {
    if d >= date("2027-03-28") && d < date("2027-10-31") {
        1
    } else {
        0
    }
}

/// New York: EDT from 2027-03-14 to 2027-11-07.
pub fn new_york_offset(d: NaiveDate) -> i32 {
    if d >= date("2027-03-14") && d < date("2027-11-07") {
        -4
    } else {
        -5
    }
}
