//! Unit tests of recurrence: time-zone placement, the schedule policy, and
//! expansion from a shifted start against the whole series.

use super::rule::parse;
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
