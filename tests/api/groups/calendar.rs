//! A group's feed (`GET /v1/groups/{id}/calendar.ics`) against its meetings.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::helpers::ics::{events_by_uid, expand, feed, group_uid, local_time, utc, value};
use crate::helpers::spawn_app;

/// A cohort group's feed shows the meetings its JSON lists: within the
/// cohort's dates, whatever the rule and first meeting say.
#[tokio::test]
async fn cohort_feeds_agree_with_cohort_occurrences() {
    let app = spawn_app().await;
    let org = app.org("Cohort calendars").await;
    let cohort = json!({"starts_on": "2027-02-01", "ends_on": "2027-03-15"});
    let schedule = |rule: &str, start: &str| {
        json!({"rrule": rule, "starts_at": start, "timezone": "Europe/London",
               "duration_minutes": 90})
    };
    let cases = [
        (
            "plain weekly",
            schedule("FREQ=WEEKLY", "2027-02-02T18:00:00"),
        ),
        (
            "first meeting before the cohort",
            schedule("FREQ=WEEKLY", "2027-01-05T18:00:00"),
        ),
        (
            "COUNT beyond the cohort",
            schedule("FREQ=WEEKLY;COUNT=20", "2027-02-02T18:00:00"),
        ),
        (
            "UNTIL beyond the cohort",
            schedule("FREQ=WEEKLY;UNTIL=20271231T235959Z", "2027-02-02T18:00:00"),
        ),
    ];
    let (from, to) = ("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
    let (f, t) = (utc(&json!(from)), utc(&json!(to)));
    let mut problems = Vec::new();
    for (what, s) in cases {
        let id = app
            .published_group(
                &org.token,
                json!({"enrollment": "cohort", "cohort": cohort, "schedule": s}),
            )
            .await;
        let body = app
            .get(&format!("/v1/groups/{id}/occurrences?from={from}&to={to}"))
            .await
            .expect(200);
        let json: Vec<DateTime<Utc>> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| utc(&o["starts_at"]))
            .collect();
        // Tuesdays from 2 February to 9 March.
        if json.len() != 6 {
            problems.push(format!("{what}: {} meetings in JSON: {body}", json.len()));
        }
        let (_, cal) = feed(&app, &format!("/v1/groups/{id}/calendar.ics")).await;
        let e = events_by_uid(&cal)[&group_uid(&id)];
        let expanded = expand(e, f, t);
        if expanded != json {
            problems.push(format!(
                "{what}: the feed (DTSTART {:?}, RRULE {:?}) gives {} meetings from {:?} to {:?}; the JSON {} from {:?} to {:?}",
                local_time(e, "DTSTART").1,
                value(&e.properties, "RRULE"),
                expanded.len(),
                expanded.first(),
                expanded.last(),
                json.len(),
                json.first(),
                json.last(),
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
