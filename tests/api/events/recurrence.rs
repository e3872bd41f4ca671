//! Repeating events: weekly series keep their local time across
//! daylight-saving changes; UNTIL, COUNT, EXDATE and monthly rules.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::helpers::series::{
    at, check_series, date, every, london_offset, new_york_offset, upcoming, utc, Expected,
};
use crate::helpers::spawn_app;

use super::support::id_of;

#[tokio::test]
async fn weekly_events_keep_their_local_time_across_daylight_saving_changes() {
    let app = spawn_app().await;
    let org = app.org("Evening circles").await;
    let london = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-03-02T18:00:00", "ends_at": "2027-03-02T19:30:00",
                   "timezone": "Europe/London", "rrule": "FREQ=WEEKLY"}),
        )
        .await;
    let new_york = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-03-02T18:00:00", "ends_at": "2027-03-02T19:30:00",
                   "timezone": "America/New_York", "rrule": "FREQ=WEEKLY;BYDAY=TU"}),
        )
        .await;
    let occ = app
        .occurrences("2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z", "")
        .await;
    let tuesdays = every(date("2027-03-02"), 7, date("2027-12-01"));
    assert_eq!(tuesdays.len(), 40);
    let expected_london: Vec<Expected> = tuesdays
        .iter()
        .map(|d| Expected::new(at(*d, 18, 0), london_offset(*d)))
        .collect();
    let expected_new_york: Vec<Expected> = tuesdays
        .iter()
        .map(|d| Expected::new(at(*d, 18, 0), new_york_offset(*d)))
        .collect();
    check_series(
        "London",
        &occ,
        &id_of(&london),
        "Europe/London",
        90,
        &expected_london,
    );
    check_series(
        "New York",
        &occ,
        &id_of(&new_york),
        "America/New_York",
        90,
        &expected_new_york,
    );
    // The weeks around each change, spelled out.
    let starts = |id: &str| -> Vec<String> {
        occ.iter()
            .filter(|o| o["event_id"] == id)
            .map(|o| utc(&o["starts_at"]).format("%Y-%m-%dT%H:%MZ").to_string())
            .collect()
    };
    let l = starts(&id_of(&london));
    for t in [
        "2027-03-23T18:00Z",
        "2027-03-30T17:00Z",
        "2027-10-26T17:00Z",
        "2027-11-02T18:00Z",
    ] {
        assert!(l.contains(&t.to_owned()), "London lacks {t}: {l:?}");
    }
    let n = starts(&id_of(&new_york));
    for t in [
        "2027-03-09T23:00Z",
        "2027-03-16T22:00Z",
        "2027-11-02T22:00Z",
        "2027-11-09T23:00Z",
    ] {
        assert!(n.contains(&t.to_owned()), "New York lacks {t}: {n:?}");
    }
    // The whole list is in start order.
    let all: Vec<DateTime<Utc>> = occ.iter().map(|o| utc(&o["starts_at"])).collect();
    assert!(all.windows(2).all(|w| w[0] <= w[1]), "not in start order");
}

#[tokio::test]
async fn until_count_and_exdates_bound_a_series() {
    let app = spawn_app().await;
    let org = app.org("Bounded").await;
    // UNTIL is UTC and inclusive: 19:00 EST on the 25th is 00:00Z on the 26th.
    let until_in = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-01-04T19:00:00", "ends_at": "2027-01-04T20:00:00",
                   "timezone": "America/New_York",
                   "rrule": "FREQ=WEEKLY;UNTIL=20270126T000000Z"}),
        )
        .await;
    let until_out = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-01-04T19:00:00", "ends_at": "2027-01-04T20:00:00",
                   "timezone": "America/New_York",
                   "rrule": "FREQ=WEEKLY;UNTIL=20270125T235959Z"}),
        )
        .await;
    // COUNT across the London spring change.
    let count = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-03-26T09:00:00", "ends_at": "2027-03-26T09:45:00",
                   "timezone": "Europe/London", "rrule": "FREQ=DAILY;COUNT=5"}),
        )
        .await;
    // EXDATE: excluded occurrences still count towards COUNT; an exdate
    // that matches no occurrence changes nothing.
    let exdate = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-01-06T12:00:00", "ends_at": "2027-01-06T13:00:00",
                   "timezone": "Europe/London", "rrule": "FREQ=WEEKLY;COUNT=6",
                   "exdates": ["2027-01-27T12:00:00", "2027-01-13T12:00:00",
                               "2027-01-20T13:00:00"]}),
        )
        .await;
    assert_eq!(
        exdate["exdates"],
        json!([
            "2027-01-13T12:00:00",
            "2027-01-20T13:00:00",
            "2027-01-27T12:00:00"
        ]),
        "exdates are kept, sorted"
    );
    let occ = app
        .occurrences("2027-01-01T00:00:00Z", "2027-06-01T00:00:00Z", "")
        .await;
    let mondays = |n: usize| -> Vec<Expected> {
        every(date("2027-01-04"), 7, date("2027-02-01"))
            .into_iter()
            .take(n)
            .map(|d| Expected::new(at(d, 19, 0), -5))
            .collect()
    };
    check_series(
        "UNTIL inclusive",
        &occ,
        &id_of(&until_in),
        "America/New_York",
        60,
        &mondays(4),
    );
    check_series(
        "UNTIL a second earlier",
        &occ,
        &id_of(&until_out),
        "America/New_York",
        60,
        &mondays(3),
    );
    let count_expected: Vec<Expected> = every(date("2027-03-26"), 1, date("2027-03-31"))
        .into_iter()
        .map(|d| Expected::new(at(d, 9, 0), london_offset(d)))
        .collect();
    check_series(
        "COUNT",
        &occ,
        &id_of(&count),
        "Europe/London",
        45,
        &count_expected,
    );
    let exdate_expected: Vec<Expected> = ["2027-01-06", "2027-01-20", "2027-02-03", "2027-02-10"]
        .iter()
        .map(|d| Expected::new(at(date(d), 12, 0), 0))
        .collect();
    check_series(
        "EXDATE",
        &occ,
        &id_of(&exdate),
        "Europe/London",
        60,
        &exdate_expected,
    );
    // The next occurrence of each (while they are ahead).
    for (e, first) in [
        (&until_in, "2027-01-05T00:00:00Z"),
        (&count, "2027-03-26T09:00:00Z"),
        (&exdate, "2027-01-06T12:00:00Z"),
    ] {
        if !upcoming(first) {
            continue;
        }
        assert_eq!(
            utc(&e["next_occurrence"]["starts_at"]),
            utc(&json!(first)),
            "{e}"
        );
    }
    // Excluding the first occurrence moves the next one.
    let patched = app
        .patch(
            &format!("/v1/events/{}", id_of(&exdate)),
            &org.token,
            &json!({"exdates": ["2027-01-06T12:00:00"]}),
        )
        .await
        .expect(200);
    if upcoming("2027-01-06T12:00:00Z") {
        assert_eq!(
            utc(&patched["next_occurrence"]["starts_at"]),
            utc(&json!("2027-01-13T12:00:00Z"))
        );
    }
    // A finished series is not listed in a later window.
    let later = app
        .occurrences("2027-02-15T00:00:00Z", "2027-03-01T00:00:00Z", "")
        .await;
    assert!(later.is_empty(), "{later:#?}");
}

#[tokio::test]
async fn a_monthly_second_tuesday_rule_gives_the_second_tuesdays() {
    let app = spawn_app().await;
    let org = app.org("Monthly").await;
    let e = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-01-12T18:30:00", "ends_at": "2027-01-12T20:00:00",
                   "timezone": "Europe/London", "rrule": "FREQ=MONTHLY;BYDAY=2TU"}),
        )
        .await;
    let occ = app
        .occurrences("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "")
        .await;
    let expected: Vec<Expected> = [
        "2027-01-12",
        "2027-02-09",
        "2027-03-09",
        "2027-04-13",
        "2027-05-11",
        "2027-06-08",
        "2027-07-13",
        "2027-08-10",
        "2027-09-14",
        "2027-10-12",
        "2027-11-09",
        "2027-12-14",
    ]
    .iter()
    .map(|d| Expected::new(at(date(d), 18, 30), london_offset(date(d))))
    .collect();
    check_series("2TU", &occ, &id_of(&e), "Europe/London", 90, &expected);
}
