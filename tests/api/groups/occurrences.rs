//! A group's meetings (`GET /v1/groups/{id}/occurrences`) and its next
//! meeting: weekly schedules, cohorts, rules that cannot be listed.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::helpers::series::{at, date, every, local, london_offset, utc, Expected};
use crate::helpers::{first_error, group_body, spawn_app, TestApp};

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
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
