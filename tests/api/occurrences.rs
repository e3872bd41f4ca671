//! Dated occurrences: repeats stay at their local wall-clock time across
//! daylight-saving changes, RFC 5545 §3.3.5 for gaps and overlaps, UNTIL,
//! COUNT and EXDATE, cohort dates, window bounds, the per-event cap, and
//! paging.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{event_body, first_error, group_body, spawn_app, TestApp};

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn utc(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .with_timezone(&Utc)
}

fn local(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// Whether `t` (RFC 3339) is still ahead: `next_occurrence` is only
/// checked for dates that have not passed.
pub fn upcoming(t: &str) -> bool {
    Utc::now() < utc(&json!(t))
}

/// Every `step` days from `first`, before `end`.
fn every(first: NaiveDate, step: i64, end: NaiveDate) -> Vec<NaiveDate> {
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
struct Expected {
    local: NaiveDateTime,
    offset_hours: i32,
}

impl Expected {
    fn new(local: NaiveDateTime, offset_hours: i32) -> Expected {
        Expected {
            local,
            offset_hours,
        }
    }
    fn utc(&self) -> DateTime<Utc> {
        (self.local - Duration::hours(self.offset_hours.into())).and_utc()
    }
}

fn at(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    d.and_hms_opt(h, m, 0).expect("a time")
}

/// Check the occurrences of one event against expectations: UTC start,
/// local start with its offset, the end after `minutes`, the zone.
fn check_series(
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
fn london_offset(d: NaiveDate) -> i32 {
    if d >= date("2027-03-28") && d < date("2027-10-31") {
        1
    } else {
        0
    }
}

/// New York: EDT from 2027-03-14 to 2027-11-07.
fn new_york_offset(d: NaiveDate) -> i32 {
    if d >= date("2027-03-14") && d < date("2027-11-07") {
        -4
    } else {
        -5
    }
}

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

#[tokio::test]
async fn gaps_and_overlaps_follow_rfc_5545() {
    let app = spawn_app().await;
    let org = app.org("Night owls").await;
    let ny = "America/New_York";
    let one_off = |start: &str, end: &str, tz: &str| json!({"starts_at": start, "ends_at": end, "timezone": tz});
    // 02:30 does not exist in New York on 2027-03-14: it is 03:30 EDT.
    let gap = app
        .published_event(
            &org.token,
            one_off("2027-03-14T02:30:00", "2027-03-14T04:00:00", ny),
        )
        .await;
    // 01:30 happens twice on 2027-11-07: the first one, EDT.
    let overlap = app
        .published_event(
            &org.token,
            one_off("2027-11-07T01:30:00", "2027-11-07T02:00:00", ny),
        )
        .await;
    // The same in London.
    let london_gap = app
        .published_event(
            &org.token,
            one_off(
                "2027-03-28T01:30:00",
                "2027-03-28T02:30:00",
                "Europe/London",
            ),
        )
        .await;
    let london_overlap = app
        .published_event(
            &org.token,
            one_off(
                "2027-10-31T01:30:00",
                "2027-10-31T02:30:00",
                "Europe/London",
            ),
        )
        .await;
    // Weekly series through the gap and through the overlap.
    let weekly_gap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-03-07T02:30:00", "ends_at": "2027-03-07T03:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;COUNT=3"}),
        )
        .await;
    let weekly_overlap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-10-31T01:30:00", "ends_at": "2027-10-31T02:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;COUNT=3"}),
        )
        .await;

    let occ = app
        .occurrences("2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z", "")
        .await;
    let find = |e: &Value| -> Vec<Value> {
        occ.iter()
            .filter(|o| o["event_id"] == e["id"])
            .cloned()
            .collect()
    };
    let one = |e: &Value| -> Value {
        let mine = find(e);
        assert_eq!(mine.len(), 1, "{mine:#?}");
        mine[0].clone()
    };

    let g = one(&gap);
    assert_eq!(
        utc(&g["starts_at"]),
        utc(&json!("2027-03-14T07:30:00Z")),
        "{g}"
    );
    assert_eq!(
        local(&g["local_starts_at"]).to_rfc3339(),
        "2027-03-14T03:30:00-04:00",
        "{g}"
    );
    if upcoming("2027-03-14T07:30:00Z") {
        assert_eq!(
            utc(&gap["next_occurrence"]["starts_at"]),
            utc(&json!("2027-03-14T07:30:00Z")),
            "{gap}"
        );
    }

    let o = one(&overlap);
    assert_eq!(
        utc(&o["starts_at"]),
        utc(&json!("2027-11-07T05:30:00Z")),
        "{o}"
    );
    assert_eq!(
        local(&o["local_starts_at"]).to_rfc3339(),
        "2027-11-07T01:30:00-04:00",
        "{o}"
    );
    if upcoming("2027-11-07T05:30:00Z") {
        assert_eq!(
            utc(&overlap["next_occurrence"]["starts_at"]),
            utc(&json!("2027-11-07T05:30:00Z")),
            "{overlap}"
        );
    }

    let lg = one(&london_gap);
    assert_eq!(
        utc(&lg["starts_at"]),
        utc(&json!("2027-03-28T01:30:00Z")),
        "{lg}"
    );
    assert_eq!(
        local(&lg["local_starts_at"]).to_rfc3339(),
        "2027-03-28T02:30:00+01:00"
    );
    let lo = one(&london_overlap);
    assert_eq!(
        utc(&lo["starts_at"]),
        utc(&json!("2027-10-31T00:30:00Z")),
        "{lo}"
    );
    assert_eq!(
        local(&lo["local_starts_at"]).to_rfc3339(),
        "2027-10-31T01:30:00+01:00"
    );

    let wg: Vec<DateTime<Utc>> = find(&weekly_gap)
        .iter()
        .map(|o| utc(&o["starts_at"]))
        .collect();
    assert_eq!(
        wg,
        [
            "2027-03-07T07:30:00Z",
            "2027-03-14T07:30:00Z",
            "2027-03-21T06:30:00Z"
        ]
        .iter()
        .map(|s| utc(&json!(s)))
        .collect::<Vec<_>>(),
        "weekly 02:30 through the gap"
    );
    let wo: Vec<DateTime<Utc>> = find(&weekly_overlap)
        .iter()
        .map(|o| utc(&o["starts_at"]))
        .collect();
    assert_eq!(
        wo,
        [
            "2027-10-31T05:30:00Z",
            "2027-11-07T05:30:00Z",
            "2027-11-14T06:30:00Z"
        ]
        .iter()
        .map(|s| utc(&json!(s)))
        .collect::<Vec<_>>(),
        "weekly 01:30 through the overlap"
    );
}

/// `/v1/groups/{id}/occurrences` for a window.
async fn group_occurrences(app: &TestApp, id: &str, from: &str, to: &str) -> Value {
    app.get(&format!("/v1/groups/{id}/occurrences?from={from}&to={to}"))
        .await
        .expect(200)
}

#[tokio::test]
async fn a_weekly_groups_occurrences_match_its_schedule() {
    let app = spawn_app().await;
    let org = app.org("Thursday people").await;
    // Thursdays 19:00 London, an hour long, from 2026-01-08.
    let id = app.published_group(&org.token, json!({})).await;
    let body = group_occurrences(&app, &id, "2027-03-01T00:00:00Z", "2027-05-01T00:00:00Z").await;
    assert_eq!(body["group_id"], id);
    assert_eq!(body["truncated"], false);
    let thursdays = every(date("2027-03-04"), 7, date("2027-05-01"));
    assert_eq!(thursdays.len(), 9);
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), thursdays.len(), "{body}");
    for (o, d) in data.iter().zip(&thursdays) {
        let e = Expected::new(at(*d, 19, 0), london_offset(*d));
        assert_eq!(utc(&o["starts_at"]), e.utc(), "{o}");
        assert_eq!(local(&o["local_starts_at"]).naive_local(), e.local, "{o}");
        assert_eq!(
            local(&o["local_starts_at"]).offset().local_minus_utc(),
            e.offset_hours * 3600,
            "{o}"
        );
        assert_eq!(
            utc(&o["ends_at"]) - utc(&o["starts_at"]),
            Duration::hours(1)
        );
        assert_eq!(o["timezone"], "Europe/London");
    }
    // The group's next meeting is the first of its default window (from now).
    let g = app.get(&format!("/v1/groups/{id}")).await.expect(200);
    let default = app
        .get(&format!("/v1/groups/{id}/occurrences"))
        .await
        .expect(200);
    let first = &default["data"][0];
    assert_eq!(utc(&g["next_meeting_at"]), utc(&first["starts_at"]), "{g}");
    assert_eq!(
        local(&g["next_meeting_local"]),
        local(&first["local_starts_at"]),
        "{g}"
    );
    let next_local = local(&g["next_meeting_local"]);
    assert_eq!(next_local.format("%a %H:%M").to_string(), "Thu 19:00");
    assert!(utc(&g["next_meeting_at"]) >= Utc::now() - Duration::minutes(1));
    // The default window is 90 days: 12 or 13 Thursdays.
    let n = default["data"].as_array().unwrap().len();
    assert!((12..=13).contains(&n), "{n} meetings in 90 days");

    // A group without a schedule has no meetings.
    let unscheduled = app
        .published_group(&org.token, json!({"schedule": null}))
        .await;
    let g = app
        .get(&format!("/v1/groups/{unscheduled}"))
        .await
        .expect(200);
    assert!(g["next_meeting_at"].is_null(), "{g}");
    assert!(g["next_meeting_local"].is_null(), "{g}");
    let body = group_occurrences(
        &app,
        &unscheduled,
        "2027-03-01T00:00:00Z",
        "2027-05-01T00:00:00Z",
    )
    .await;
    assert_eq!(body["data"], json!([]));

    // Windows are checked here too; drafts have none.
    for q in [
        "from=2027-03-01T00:00:00Z&to=2027-03-01T00:00:00Z",
        "from=2027-03-01T00:00:00Z&to=2027-02-01T00:00:00Z",
        "from=2027-01-01T00:00:00Z&to=2028-01-03T00:00:00Z",
        "from=soon",
    ] {
        app.get(&format!("/v1/groups/{id}/occurrences?{q}"))
            .await
            .problem(400, "invalid_query");
    }
    let draft = app.create_group(&org.token, &group_body(json!({}))).await;
    app.get(&format!("/v1/groups/{}/occurrences", id_of(&draft)))
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn a_cohort_that_has_ended_has_no_next_meeting() {
    let app = spawn_app().await;
    let org = app.org("Cohorts").await;
    let today = Utc::now().date_naive();
    let cohort = |starts: NaiveDate, ends: NaiveDate| {
        json!({
            "enrollment": "cohort",
            "cohort": {"starts_on": starts.to_string(), "ends_on": ends.to_string()},
            "schedule": {"rrule": "FREQ=WEEKLY", "starts_at": format!("{starts}T18:00:00"),
                         "timezone": "Europe/London", "duration_minutes": 90}
        })
    };
    // Ended: eight weekly meetings, the last a fortnight ago; the schedule
    // itself goes on, the cohort dates stop it.
    let start = today - Duration::days(70);
    let end = start + Duration::days(49);
    let ended = app.published_group(&org.token, cohort(start, end)).await;
    let g = app.get(&format!("/v1/groups/{ended}")).await.expect(200);
    assert!(g["next_meeting_at"].is_null(), "an ended cohort: {g}");
    assert!(g["next_meeting_local"].is_null(), "an ended cohort: {g}");
    let listed = app
        .list_all("")
        .await
        .into_iter()
        .find(|x| x["id"] == ended)
        .expect("listed");
    assert!(listed["next_meeting_at"].is_null(), "{listed}");

    let from = format!("{}T00:00:00Z", start - Duration::days(7));
    let to = format!("{}T00:00:00Z", today + Duration::days(120));
    let body = group_occurrences(&app, &ended, &from, &to).await;
    let data = body["data"].as_array().expect("data");
    let days: Vec<NaiveDate> = data
        .iter()
        .map(|o| local(&o["local_starts_at"]).date_naive())
        .collect();
    assert_eq!(days, every(start, 7, end + Duration::days(1)), "{body}");
    for o in data {
        assert_eq!(
            local(&o["local_starts_at"]).format("%H:%M").to_string(),
            "18:00"
        );
    }
    let after_end = format!("{}T00:00:00Z", end + Duration::days(1));
    let body = group_occurrences(&app, &ended, &after_end, &to).await;
    assert_eq!(body["data"], json!([]), "nothing after the cohort: {body}");

    // Running: the next meeting is within the cohort.
    let start = today - Duration::days(14);
    let end = today + Duration::days(20);
    let running = app.published_group(&org.token, cohort(start, end)).await;
    let g = app.get(&format!("/v1/groups/{running}")).await.expect(200);
    let next = local(&g["next_meeting_local"]);
    assert!(
        next.date_naive() <= end && next.date_naive() >= today,
        "{g}"
    );
    assert_eq!(next.format("%H:%M").to_string(), "18:00");
    let body = group_occurrences(&app, &running, &from, &to).await;
    let last = body["data"]
        .as_array()
        .and_then(|d| d.last())
        .expect("meetings");
    assert!(
        local(&last["local_starts_at"]).date_naive() <= end,
        "{body}"
    );

    // Not started yet: the next meeting is the cohort's first day.
    let start = today + Duration::days(30);
    let future = app
        .published_group(&org.token, cohort(start, start + Duration::days(28)))
        .await;
    let g = app.get(&format!("/v1/groups/{future}")).await.expect(200);
    assert_eq!(local(&g["next_meeting_local"]).date_naive(), start, "{g}");
}

#[tokio::test]
async fn occurrence_windows_are_bounded() {
    let app = spawn_app().await;
    let org = app.org("Windows").await;
    let e = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-01-01T00:00:00", "ends_at": "2027-01-01T01:00:00",
                   "timezone": "UTC", "rrule": "FREQ=DAILY;COUNT=400"}),
        )
        .await;
    let cases = [
        // More than 366 days.
        ("from=2027-01-01T00:00:00Z&to=2028-01-02T00:00:01Z", "to"),
        ("from=2027-01-01T00:00:00Z&to=2029-01-01T00:00:00Z", "to"),
        // One end only.
        ("from=2027-01-01T00:00:00Z", "to"),
        ("to=2027-01-01T00:00:00Z", "from"),
        // Empty or reversed.
        ("from=2027-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", "to"),
        ("from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z", "to"),
    ];
    for (q, param) in cases {
        for path in ["/v1/events", "/v1/events.ics"] {
            let p = app
                .get(&format!("{path}?{q}"))
                .await
                .problem(400, "invalid_query");
            assert_eq!(first_error(&p).0, param, "{path}?{q}: {p}");
        }
    }
    // Exactly 366 days is allowed; `from` is inclusive and `to` exclusive.
    let occ = app
        .occurrences("2027-01-01T00:00:00Z", "2028-01-02T00:00:00Z", "")
        .await;
    assert_eq!(occ.len(), 366);
    assert_eq!(occ[0]["starts_at"], "2027-01-01T00:00:00Z");
    let occ = app
        .occurrences("2027-01-01T00:00:01Z", "2027-01-05T00:00:00Z", "")
        .await;
    let starts: Vec<&str> = occ
        .iter()
        .map(|o| o["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2027-01-02T00:00:00Z",
            "2027-01-03T00:00:00Z",
            "2027-01-04T00:00:00Z"
        ]
    );
    // An occurrence that began before the window but is still going on is
    // not one that starts in it.
    let occ = app
        .occurrences("2027-01-02T00:30:00Z", "2027-01-03T00:00:00Z", "")
        .await;
    assert!(occ.is_empty(), "{occ:#?}");
    // Offsets other than Z are accepted (encoded `+`).
    let occ = app
        .occurrences("2027-01-01T01:00:00%2B01:00", "2027-01-03T00:00:00Z", "")
        .await;
    assert_eq!(occ.len(), 2, "{occ:#?}");
    assert_eq!(occ[0]["event_id"], e["id"]);
}

#[tokio::test]
async fn a_busy_event_yields_at_most_500_occurrences_in_a_window() {
    let app = spawn_app().await;
    let org = app.org("Four a day").await;
    // The busiest schedule there may be: four meetings a day.
    let busy = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-01-01T00:00:00", "ends_at": "2027-01-01T00:30:00",
                   "timezone": "UTC", "rrule": "FREQ=DAILY;BYHOUR=0,6,12,18"}),
        )
        .await;
    // Started long before the window: still capped at the first 500 in it.
    let old_busy = app
        .published_event(
            &org.token,
            json!({"starts_at": "2026-01-01T00:15:00", "ends_at": "2026-01-01T00:30:00",
                   "timezone": "UTC", "rrule": "FREQ=DAILY;BYHOUR=0,6,12,18"}),
        )
        .await;
    let daily = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-01-01T12:00:00", "ends_at": "2027-01-01T13:00:00",
                   "timezone": "Europe/London", "rrule": "FREQ=DAILY"}),
        )
        .await;
    let (from, to) = ("2027-01-05T00:00:00Z", "2027-06-04T00:00:00Z");
    let occ = app.occurrences(from, to, "").await;
    let count = |e: &Value| occ.iter().filter(|o| o["event_id"] == e["id"]).count();
    assert_eq!(count(&busy), 500, "four a day over 150 days (600)");
    assert_eq!(count(&old_busy), 500, "four a day since last year");
    assert_eq!(count(&daily), 150, "the cap is per event");
    // The 500 are the first ones of the window, one every six hours.
    let busy_starts: Vec<DateTime<Utc>> = occ
        .iter()
        .filter(|o| o["event_id"] == busy["id"])
        .map(|o| utc(&o["starts_at"]))
        .collect();
    let w0 = utc(&json!(from));
    for (i, t) in busy_starts.iter().enumerate() {
        assert_eq!(*t, w0 + Duration::hours(6 * i as i64), "occurrence {i}");
    }
    let old_starts: Vec<DateTime<Utc>> = occ
        .iter()
        .filter(|o| o["event_id"] == old_busy["id"])
        .map(|o| utc(&o["starts_at"]))
        .collect();
    assert_eq!(old_starts[0], w0 + Duration::minutes(15));
    assert_eq!(
        old_starts[499],
        w0 + Duration::minutes(15) + Duration::hours(6 * 499)
    );
    // A one-page read with the largest page agrees with the walk.
    let page = app
        .get(&format!("/v1/events?from={from}&to={to}&limit=100"))
        .await
        .expect(200);
    assert_eq!(page["data"].as_array().unwrap().len(), 100);
    assert_eq!(page["data"].as_array().unwrap()[..], occ[..100]);
}

#[tokio::test]
async fn walking_occurrence_pages_yields_each_once_in_start_order() {
    let app = spawn_app().await;
    let a = app.org("Pager A").await;
    let b = app.org("Pager B").await;
    let mut ids = Vec::new();
    // Two series that meet at the same instants (ties broken by event id),
    // one in another zone, one-offs, a cancelled one, a draft and a deleted one.
    for (org, overrides) in [
        (
            &a,
            json!({"starts_at": "2027-01-04T18:00:00", "ends_at": "2027-01-04T19:00:00",
                    "rrule": "FREQ=DAILY;COUNT=10"}),
        ),
        (
            &b,
            json!({"starts_at": "2027-01-04T18:00:00", "ends_at": "2027-01-04T19:00:00",
                    "rrule": "FREQ=DAILY;COUNT=10"}),
        ),
        (
            &a,
            json!({"starts_at": "2027-01-04T13:00:00", "ends_at": "2027-01-04T14:00:00",
                    "timezone": "America/New_York", "rrule": "FREQ=WEEKLY;BYDAY=MO,WE,FR",
                    "exdates": ["2027-01-06T13:00:00"]}),
        ),
        (
            &b,
            json!({"starts_at": "2027-01-07T09:00:00", "ends_at": "2027-01-07T10:00:00"}),
        ),
        (
            &a,
            json!({"starts_at": "2027-01-08T18:00:00", "ends_at": "2027-01-08T19:00:00",
                    "status": "cancelled"}),
        ),
    ] {
        ids.push(id_of(&app.published_event(&org.token, overrides).await));
    }
    app.create_event(
        &a.token,
        &event_body(json!({"starts_at": "2027-01-05T10:00:00", "ends_at": "2027-01-05T11:00:00"})),
    )
    .await;
    let deleted = app
        .published_event(
            &a.token,
            json!({"starts_at": "2027-01-05T10:00:00", "ends_at": "2027-01-05T11:00:00"}),
        )
        .await;
    app.delete(&format!("/v1/events/{}", id_of(&deleted)), &a.token)
        .await
        .expect(204);

    let (from, to) = ("2027-01-01T00:00:00Z", "2027-01-15T00:00:00Z");
    let full = app
        .get(&format!("/v1/events?from={from}&to={to}&limit=100"))
        .await
        .expect(200);
    assert!(full["next_cursor"].is_null());
    let full = full["data"].as_array().unwrap().clone();
    // 10 + 10 + (Mon/Wed/Fri in 11 days, less one) + 1 + 1.
    assert_eq!(full.len(), 10 + 10 + 4 + 1 + 1, "{full:#?}");
    let key = |o: &Value| {
        (
            utc(&o["starts_at"]),
            o["event_id"].as_str().unwrap().to_owned(),
        )
    };
    let keys: Vec<_> = full.iter().map(key).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "not in (start, event) order: {keys:#?}"
    );
    assert!(full
        .iter()
        .all(|o| ids.contains(&o["event_id"].as_str().unwrap().to_owned())));
    let cancelled: Vec<&Value> = full.iter().filter(|o| o["event_id"] == ids[4]).collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["status"], "cancelled");
    assert_eq!(cancelled[0]["event"]["status"], "cancelled");

    for limit in [1, 3, 7] {
        let walked = app
            .walk(&format!("/v1/events?from={from}&to={to}"), limit)
            .await;
        let walked_keys: Vec<_> = walked.iter().map(key).collect();
        assert_eq!(walked_keys, keys, "pages of {limit}");
    }
    // Pages carry a Link to the next one.
    let first = app
        .get(&format!("/v1/events?from={from}&to={to}&limit=5"))
        .await;
    let link = first.header("link").expect("a Link header");
    assert!(link.contains("rel=\"next\""), "{link}");
    assert!(
        link.contains("from="),
        "the window is kept in the link: {link}"
    );
    // Filters apply to occurrences too.
    let only_b = app
        .occurrences(from, to, &format!("organization={}", b.slug))
        .await;
    assert_eq!(only_b.len(), 11);
    assert!(only_b
        .iter()
        .all(|o| o["event"]["organization"]["id"] == b.id));
    let cancelled_only = app.occurrences(from, to, "status=cancelled").await;
    assert_eq!(cancelled_only.len(), 1);
    // A cursor of the event list is not one of an occurrence listing.
    let events_page = app.get("/v1/events?limit=1").await.expect(200);
    let c = events_page["next_cursor"].as_str().expect("more events");
    let reply = app
        .get(&format!("/v1/events?from={from}&to={to}&cursor={c}"))
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
}

/// The first occurrence ends when its written local end says, even when a
/// daylight-saving change falls inside it (RFC 5545 §3.8.2.2: DTEND in its
/// zone); a night across the spring change is an hour shorter, one across
/// the autumn change an hour longer.
#[tokio::test]
async fn an_overnight_event_across_a_change_ends_at_its_written_local_time() {
    let app = spawn_app().await;
    let org = app.org("Vigils").await;
    let cases = [
        // 22:00 EST (03:00Z) to 06:00 EDT (10:00Z): seven hours.
        (
            "America/New_York",
            "2027-03-13T22:00:00",
            "2027-03-14T06:00:00",
            "2027-03-14T03:00:00Z",
            "2027-03-14T10:00:00Z",
        ),
        // 22:00 BST (21:00Z) to 06:00 GMT (06:00Z): nine hours.
        (
            "Europe/London",
            "2027-10-30T22:00:00",
            "2027-10-31T06:00:00",
            "2027-10-30T21:00:00Z",
            "2027-10-31T06:00:00Z",
        ),
    ];
    let mut problems = Vec::new();
    for (tz, start, end, start_utc, end_utc) in cases {
        let e = app
            .published_event(
                &org.token,
                json!({"starts_at": start, "ends_at": end, "timezone": tz}),
            )
            .await;
        let occ = app
            .occurrences("2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z", "")
            .await;
        let o = occ
            .iter()
            .find(|o| o["event_id"] == e["id"])
            .expect("the occurrence");
        if utc(&o["starts_at"]) != utc(&json!(start_utc)) {
            problems.push(format!("{tz}: starts {} not {start_utc}", o["starts_at"]));
        }
        let local_end = local(&o["local_ends_at"]).naive_local();
        if utc(&o["ends_at"]) != utc(&json!(end_utc))
            || local_end.format("%Y-%m-%dT%H:%M:%S").to_string() != end
        {
            problems.push(format!(
                "{tz}: written to end at {end} local ({end_utc}); the occurrence ends at {} ({})",
                o["local_ends_at"], o["ends_at"]
            ));
        }
        if upcoming(start_utc) && utc(&e["next_occurrence"]["ends_at"]) != utc(&json!(end_utc)) {
            problems.push(format!(
                "{tz}: next_occurrence ends at {}, not {end_utc}",
                e["next_occurrence"]["ends_at"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// UNTIL is a UTC instant (RFC 5545 §3.3.10): an occurrence is in the set
/// when its start on the time line is not after UNTIL, also when the local
/// time falls in a gap or an overlap.
#[tokio::test]
async fn until_is_compared_on_the_time_line_around_changes() {
    let app = spawn_app().await;
    let org = app.org("Edges").await;
    let ny = "America/New_York";
    // 02:30 on 2027-03-14 is 07:30Z: after an UNTIL of 07:00Z.
    let gap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-03-07T02:30:00", "ends_at": "2027-03-07T03:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;UNTIL=20270314T070000Z"}),
        )
        .await;
    // 01:30 on 2027-11-07 is the first one, 05:30Z: before an UNTIL of
    // 06:00Z (01:00 EST, after the clocks went back).
    let overlap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-10-31T01:30:00", "ends_at": "2027-10-31T02:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;UNTIL=20271107T060000Z"}),
        )
        .await;
    let occ = app
        .occurrences("2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z", "")
        .await;
    let starts = |e: &Value| -> Vec<String> {
        occ.iter()
            .filter(|o| o["event_id"] == e["id"])
            .map(|o| utc(&o["starts_at"]).to_rfc3339())
            .collect()
    };
    let mut problems = Vec::new();
    let gap_starts = starts(&gap);
    if gap_starts != ["2027-03-07T07:30:00+00:00"] {
        problems.push(format!(
            "UNTIL 07:00Z through the gap: expected only 2027-03-07T07:30Z, got {gap_starts:?}"
        ));
    }
    let overlap_starts = starts(&overlap);
    if overlap_starts != ["2027-10-31T05:30:00+00:00", "2027-11-07T05:30:00+00:00"] {
        problems.push(format!(
            "UNTIL 06:00Z through the overlap: expected 2027-10-31T05:30Z and 2027-11-07T05:30Z, got {overlap_starts:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A group's rule is checked as an event's is: a rule whose meetings the
/// service cannot list is rejected, not stored to list nothing.
#[tokio::test]
async fn a_group_rule_is_either_rejected_or_expanded() {
    let app = spawn_app().await;
    let org = app.org("Rules").await;
    let mut problems = Vec::new();
    for rule in [
        "FREQ=WEEKLY;UNTIL=20270301T000000",
        "FREQ=WEEKLY;UNTIL=20270301",
        "FREQ=WEEKLY;UNTIL=20270301T000000Z",
    ] {
        let body = group_body(json!({
            "status": "published",
            "schedule": {"rrule": rule, "starts_at": "2027-01-07T19:00:00",
                         "timezone": "Europe/London", "duration_minutes": 60}
        }));
        let reply = app.post("/v1/groups", &org.token, &body).await;
        match reply.status.as_u16() {
            422 => {
                let p = reply.problem(422, "validation_failed");
                if first_error(&p).0 != "schedule.rrule" {
                    problems.push(format!("{rule}: {p}"));
                }
            }
            201 => {
                let id = id_of(&reply.json());
                let body = app
                    .get(&format!(
                        "/v1/groups/{id}/occurrences?from=2027-01-01T00:00:00Z&to=2027-04-01T00:00:00Z"
                    ))
                    .await
                    .expect(200);
                // Thursdays 7 January to 25 February.
                let n = body["data"].as_array().map_or(0, Vec::len);
                if n != 8 {
                    problems.push(format!(
                        "{rule}: accepted, but lists {n} meetings instead of 8: {body}"
                    ));
                }
            }
            other => problems.push(format!("{rule}: {other} {}", reply.text)),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
