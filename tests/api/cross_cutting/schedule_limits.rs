//! Recurrence expansion has a cost bound (issue 13, hole 1): schedules no
//! group meets by are refused, expansion costs the window asked for, windows
//! stay within five years of now, and no read takes the write lock to bring
//! next meetings up to date.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{event_body, group_body, names_field, spawn_app, Backend};

fn schedule(rrule: &str, starts_at: &str) -> Value {
    json!({"schedule": {"rrule": rrule, "starts_at": starts_at,
                        "timezone": "Europe/London", "duration_minutes": 30}})
}

#[tokio::test]
async fn schedules_no_group_meets_by_are_refused_at_once() {
    let app = spawn_app().await;
    let org = app.org("Rules").await;
    // The first one never answered (hours of CPU, holding the write lock).
    for (rrule, starts_at) in [
        ("FREQ=SECONDLY", "0001-01-01T00:00:00"),
        ("FREQ=MINUTELY", "2026-01-01T00:00:00"),
        ("FREQ=HOURLY", "2026-01-01T00:00:00"),
        ("FREQ=DAILY;INTERVAL=0", "2026-01-01T00:00:00"),
        ("FREQ=DAILY;BYHOUR=8,10,12,14,16", "2026-01-01T00:00:00"),
        ("FREQ=WEEKLY;COUNT=5000", "2026-01-01T00:00:00"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "2026-01-01T00:00:00"),
        ("FREQ=YEARLY;INTERVAL=3", "2026-01-01T00:00:00"),
    ] {
        let body = group_body(schedule(rrule, starts_at));
        let p = app
            .post("/v1/groups", &org.token, &body)
            .await
            .problem(422, "validation_failed");
        assert!(names_field(&p, "schedule.rrule"), "{rrule}: {p}");
        let p = app
            .post(
                "/v1/events",
                &org.token,
                &event_body(json!({"rrule": rrule, "starts_at": starts_at,
                                   "ends_at": starts_at.replace("T00:00", "T00:30")})),
            )
            .await
            .problem(422, "validation_failed");
        assert!(names_field(&p, "rrule"), "{rrule}: {p}");
    }
    // A change to such a rule is refused too, and nothing is written.
    let g = app.create_group(&org.token, &group_body(json!({}))).await;
    let id = g["id"].as_str().unwrap();
    let p = app
        .patch(
            &format!("/v1/groups/{id}"),
            &org.token,
            &json!({"schedule": {"rrule": "FREQ=MINUTELY"}}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(names_field(&p, "schedule.rrule"), "{p}");
    let now = app
        .get_auth(&format!("/v1/groups/{id}"), &org.token)
        .await
        .expect(200);
    assert_eq!(now["version"], g["version"]);
    // Four meetings a day is the most, and accepted.
    let busy = group_body(schedule(
        "FREQ=DAILY;BYHOUR=8,12,16,20",
        "2026-01-01T00:00:00",
    ));
    app.create_group(&org.token, &busy).await;
}

#[tokio::test]
async fn windows_stay_within_five_years_of_now() {
    let app = spawn_app().await;
    let org = app.org("Windows").await;
    let id = app.published_group(&org.token, json!({})).await;
    for path in [
        format!("/v1/groups/{id}/occurrences?from=9998-01-01T00:00:00Z&to=9998-12-31T00:00:00Z"),
        "/v1/events?from=2040-01-01T00:00:00Z&to=2040-06-01T00:00:00Z".to_owned(),
        "/v1/events?from=1990-01-01T00:00:00Z&to=1990-06-01T00:00:00Z".to_owned(),
    ] {
        let p = app.get(&path).await.problem(400, "invalid_query");
        assert!(
            names_field(&p, "from") || names_field(&p, "to"),
            "{path}: {p}"
        );
    }
    // Next year is fine.
    let from = Utc::now() + Duration::days(365);
    let to = from + Duration::days(14);
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let page = app
        .get(&format!(
            "/v1/groups/{id}/occurrences?from={}&to={}",
            fmt(from),
            fmt(to)
        ))
        .await
        .expect(200);
    assert_eq!(page["data"].as_array().unwrap().len(), 2, "{page}");
}

#[tokio::test]
async fn an_ancient_series_costs_only_the_window_asked_for() {
    let app = spawn_app().await;
    let org = app.org("Old").await;
    // Every Tuesday since year 1 (a Monday), and four times a day since 1900.
    let id = app
        .published_group(
            &org.token,
            schedule("FREQ=WEEKLY;BYDAY=TU", "0001-01-01T18:00:00"),
        )
        .await;
    let event = app
        .published_event(
            &org.token,
            json!({"starts_at": "1900-01-01T06:00:00", "ends_at": "1900-01-01T07:00:00",
                   "rrule": "FREQ=DAILY;BYHOUR=6,10,14,18"}),
        )
        .await;
    let g = app.get(&format!("/v1/groups/{id}")).await.expect(200);
    let next: DateTime<Utc> = g["next_meeting_at"].as_str().unwrap().parse().unwrap();
    let local: DateTime<chrono::FixedOffset> =
        g["next_meeting_local"].as_str().unwrap().parse().unwrap();
    assert_eq!(local.weekday(), Weekday::Tue, "{g}");
    assert!(
        next > Utc::now() && next < Utc::now() + Duration::days(8),
        "{g}"
    );
    let from = Utc::now() + Duration::days(30);
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (f, t) = (fmt(from), fmt(from + Duration::days(7)));
    let occ = app
        .get(&format!("/v1/events?from={f}&to={t}&limit=100"))
        .await
        .expect(200);
    let ours = occ["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["event_id"] == event["id"])
        .count();
    assert_eq!(ours, 28, "four a day for seven days");
    let occ = app
        .get(&format!("/v1/groups/{id}/occurrences?from={f}&to={t}"))
        .await
        .expect(200);
    assert_eq!(occ["data"].as_array().unwrap().len(), 1, "{occ}");
}

/// A `sort=next_meeting` search used to bring stale groups up to date inside
/// a write transaction: on SQLite it waited for any other writer and then
/// failed with `500 database is locked`; on PostgreSQL it waited as long as
/// the lock was held. Now the maintenance task does it, and the search waits
/// for it at most two seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_meeting_search_answers_while_a_writer_holds_the_lock() {
    use circles::db::schema::support_groups;
    let app = spawn_app().await;
    let org = app.org("Stale").await;
    let id = app.published_group(&org.token, json!({})).await;
    // Its stored next meeting has begun.
    let past = (Utc::now() - Duration::days(3)).naive_utc();
    let mut conn = app.pool.get().unwrap();
    diesel::update(support_groups::table.find(&id))
        .set(support_groups::next_meeting_at.eq(past))
        .execute(&mut conn)
        .unwrap();
    // Another writer holds the lock for up to a minute.
    let (release, released) = std::sync::mpsc::channel::<()>();
    let backend = app.backend;
    let holder = std::thread::spawn(move || {
        match backend {
            Backend::Sqlite => conn.batch_execute("BEGIN IMMEDIATE").unwrap(),
            Backend::Postgres => conn
                .batch_execute("BEGIN; LOCK TABLE support_groups IN EXCLUSIVE MODE")
                .unwrap(),
        }
        let _ = released.recv_timeout(StdDuration::from_secs(60));
        conn.batch_execute("ROLLBACK").unwrap();
        conn
    });
    std::thread::sleep(StdDuration::from_millis(200));
    let res = app
        .client
        .get(app.url("/v1/groups?sort=next_meeting"))
        .timeout(StdDuration::from_secs(10))
        .send()
        .await;
    release.send(()).unwrap();
    let mut conn = holder.join().unwrap();
    let res = res.expect("an answer within 10 s while another writer holds the lock");
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["data"][0]["id"], id.as_str());
    // The meeting shown is the next one, computed as it is read.
    let shown: DateTime<Utc> = page["data"][0]["next_meeting_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(shown > Utc::now(), "{page}");
    // Once the lock is free, the task brings the stored value up to date.
    let mut stored = past;
    for _ in 0..300 {
        stored = support_groups::table
            .find(&id)
            .select(support_groups::next_meeting_at)
            .first::<Option<chrono::NaiveDateTime>>(&mut conn)
            .unwrap()
            .unwrap();
        if stored > Utc::now().naive_utc() {
            break;
        }
        app.get("/v1/groups?sort=next_meeting").await.expect(200);
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(stored > Utc::now().naive_utc(), "still {stored}");
}
