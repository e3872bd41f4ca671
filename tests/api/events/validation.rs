//! Bad event input gets a 422 naming the field.

use circles::vocab::{self, Vocabulary};
use serde_json::{json, Value};

use crate::helpers::{event_body, first_error, group_body, spawn_app, Reply};

use super::support::id_of;

fn allowed<V: Vocabulary>() -> Vec<String> {
    V::allowed().iter().map(|s| s.to_string()).collect()
}

/// A 422 whose first error names `field` (with `allowed` when given);
/// returns what is wrong, if anything.
fn check_422(
    what: &str,
    reply: &Reply,
    field: &str,
    expected: Option<&[String]>,
) -> Option<String> {
    if reply.status.as_u16() != 422 {
        return Some(format!(
            "{what}: status {} instead of 422: {}",
            reply.status, reply.text
        ));
    }
    let p = reply.problem(422, "validation_failed");
    let (got, got_allowed) = first_error(&p);
    if got != field {
        return Some(format!(
            "{what}: errors[0].field is `{got}`, not `{field}`: {p}"
        ));
    }
    if let Some(expected) = expected {
        if got_allowed.as_deref() != Some(expected) {
            return Some(format!(
                "{what}: allowed is {got_allowed:?}, expected {expected:?}: {p}"
            ));
        }
    }
    None
}

/// (what, body overrides, field named, accepted values)
type Case = (&'static str, Value, &'static str, Option<Vec<String>>);

fn fail_all(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn bad_event_input_names_the_field() {
    let app = spawn_app().await;
    let org = app.org("Careless").await;
    let statuses = allowed::<vocab::EventStatus>();
    let listing = allowed::<vocab::ListingStatus>();
    assert_eq!(statuses, ["scheduled", "cancelled", "postponed"]);

    let cases: Vec<Case> = vec![
        (
            "bad status",
            json!({"status": "done"}),
            "status",
            Some(statuses.clone()),
        ),
        (
            "bad listing status",
            json!({"listing_status": "live"}),
            "listing_status",
            Some(listing.clone()),
        ),
        (
            "bad format",
            json!({"format": "telepathy"}),
            "format",
            Some(allowed::<vocab::Format>()),
        ),
        (
            "ends before it starts",
            json!({"ends_at": "2027-01-16T10:00:00"}),
            "ends_at",
            None,
        ),
        (
            "ends as it starts",
            json!({"ends_at": "2027-01-16T11:00:00"}),
            "ends_at",
            None,
        ),
        (
            "lasts too long",
            json!({"ends_at": "2027-03-16T11:00:00"}),
            "ends_at",
            None,
        ),
        (
            "unknown zone",
            json!({"timezone": "Mars/Olympus_Mons"}),
            "timezone",
            None,
        ),
        (
            "offset as zone",
            json!({"timezone": "+01:00"}),
            "timezone",
            None,
        ),
        ("empty zone", json!({"timezone": ""}), "timezone", None),
        (
            "bad rrule",
            json!({"rrule": "FREQ=SOMETIMES"}),
            "rrule",
            None,
        ),
        (
            "garbage rrule",
            json!({"rrule": "every tuesday"}),
            "rrule",
            None,
        ),
        (
            "rrule with prefix",
            json!({"rrule": "RRULE:FREQ=WEEKLY"}),
            "rrule",
            None,
        ),
        (
            "two lines",
            json!({"rrule": "FREQ=WEEKLY\nEXDATE:20270123T110000"}),
            "rrule",
            None,
        ),
        (
            "local UNTIL",
            json!({"rrule": "FREQ=WEEKLY;UNTIL=20270301T000000"}),
            "rrule",
            None,
        ),
        (
            "date-only UNTIL",
            json!({"rrule": "FREQ=WEEKLY;UNTIL=20270301"}),
            "rrule",
            None,
        ),
        (
            "exdates without a rule",
            json!({"exdates": ["2027-01-23T11:00:00"]}),
            "exdates",
            None,
        ),
        (
            "starts_at with an offset",
            json!({"starts_at": "2027-01-16T11:00:00+00:00"}),
            "starts_at",
            None,
        ),
        (
            "starts_at not a time",
            json!({"starts_at": "soon"}),
            "starts_at",
            None,
        ),
        ("no name", json!({"name": "  "}), "name", None),
        ("zero capacity", json!({"capacity": 0}), "capacity", None),
        (
            "not a url",
            json!({"registration_url": "nope"}),
            "registration_url",
            None,
        ),
        (
            "in person without a place",
            json!({"format": "in_person", "online": null}),
            "location",
            None,
        ),
        ("unknown field", json!({"colour": "red"}), "colour", None),
    ];

    let base = app
        .create_event(
            &org.token,
            &event_body(json!({"rrule": "FREQ=WEEKLY;COUNT=2"})),
        )
        .await;
    let path = format!("/v1/events/{}", id_of(&base));
    let mut problems = Vec::new();
    for (what, overrides, field, expected) in &cases {
        let body = event_body(overrides.clone());
        let reply = app.post("/v1/events", &org.token, &body).await;
        problems.extend(check_422(
            &format!("POST {what}"),
            &reply,
            field,
            expected.as_deref(),
        ));
        let reply = app.put(&path, &org.token, &body).await;
        problems.extend(check_422(
            &format!("PUT {what}"),
            &reply,
            field,
            expected.as_deref(),
        ));
        // The same change as a merge patch onto a weekly event (exdates
        // without a rule only makes sense for PUT/POST).
        if *field != "exdates" {
            let mut patch = overrides.clone();
            if *field == "location" {
                patch = json!({"format": "in_person", "online": null});
            }
            let reply = app.patch(&path, &org.token, &patch).await;
            problems.extend(check_422(
                &format!("PATCH {what}"),
                &reply,
                field,
                expected.as_deref(),
            ));
        }
    }
    fail_all(problems);
    // Nothing was written.
    let now = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(now, base);
    let all = app.get_auth("/v1/events", &org.token).await.expect(200);
    assert_eq!(all["data"], json!([]), "no published event exists: {all}");

    // Query parameters are checked too.
    for (query, param) in [
        ("status=done", "status"),
        ("topic=sadness", "topic"),
        ("format=telepathy", "format"),
        ("limit=0", "limit"),
        ("from=yesterday&to=2027-01-01T00:00:00Z", "from"),
        ("colour=red", "colour"),
    ] {
        let reply = app.get(&format!("/v1/events?{query}")).await;
        assert_eq!(reply.status.as_u16(), 400, "{query}: {}", reply.text);
        let p = reply.json();
        assert_eq!(first_error(&p).0, param, "{query}: {p}");
    }
    app.get("/v1/events/not-a-uuid")
        .await
        .problem(400, "invalid_path");
    app.get(&format!("/v1/events/{}", uuid::Uuid::new_v4()))
        .await
        .problem(404, "not_found");
    // A group that does not exist has no events.
    app.get(&format!("/v1/groups/{}/events", uuid::Uuid::new_v4()))
        .await
        .problem(404, "not_found");
    let draft_group = app.create_group(&org.token, &group_body(json!({}))).await;
    app.get(&format!("/v1/groups/{}/events", id_of(&draft_group)))
        .await
        .problem(404, "not_found");
}
