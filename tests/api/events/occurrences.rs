//! The occurrence list (`GET /v1/events?from=&to=`): window bounds, the
//! per-event cap, and paging in start order.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::series::utc;
use crate::helpers::{event_body, first_error, spawn_app};

use super::support::id_of;

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
