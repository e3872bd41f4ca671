//! The shape of a feed (RFC 5545): one PRODID and VERSION, and names that
//! cannot break out of their property.

use serde_json::json;

use crate::helpers::ics::{feed, id_of, props, unfold};
use crate::helpers::{group_body, spawn_app};

/// RFC 5545 §3.6: PRODID and VERSION are required and MUST NOT occur more
/// than once in a VCALENDAR; METHOD at most once.
#[tokio::test]
async fn a_feed_has_one_prodid_and_one_version() {
    let app = spawn_app().await;
    let org = app.org("Header checkers").await;
    let group = app.published_group(&org.token, json!({})).await;
    app.published_event(&org.token, json!({})).await;
    for path in [
        format!("/v1/groups/{group}/calendar.ics"),
        format!("/v1/organizations/{}/calendar.ics", org.slug),
        "/v1/events.ics".to_owned(),
    ] {
        let (raw, cal) = feed(&app, &path).await;
        for (name, most) in [("PRODID", 1), ("VERSION", 1), ("METHOD", 1)] {
            let n = props(&cal.properties, name).len();
            assert!(
                (1..=most).contains(&n) || (name == "METHOD" && n == 0),
                "{path}: {name} occurs {n} times:\n{raw}"
            );
        }
    }
}

/// Names are TEXT: commas, semicolons and line breaks in a group's or an
/// organization's name are escaped, never written raw into the feed (where
/// a line break would start a new property or component).
#[tokio::test]
async fn names_cannot_break_a_feed() {
    let app = spawn_app().await;
    let org = app.org("Plain name").await;
    let injected = "Grief, loss; hope\r\nBEGIN:VEVENT\r\nUID:injected@evil\r\n\
                    SUMMARY:Injected\r\nDTSTART:20270101T000000Z\r\nEND:VEVENT";
    let reply = app
        .post(
            "/v1/groups",
            &org.token,
            &group_body(json!({"name": injected, "status": "published"})),
        )
        .await;
    let mut paths = Vec::new();
    match reply.status.as_u16() {
        201 => {
            let id = id_of(&reply.json());
            paths.push(format!("/v1/groups/{id}/calendar.ics"));
        }
        // Rejecting control characters is fine too.
        422 => {}
        other => panic!(
            "creating a group with a multi-line name: {other} {}",
            reply.text
        ),
    }
    let renamed = app
        .patch(
            &format!("/v1/organizations/{}", org.id),
            &org.token,
            &json!({"name": injected}),
        )
        .await;
    assert!(
        [200, 422].contains(&renamed.status.as_u16()),
        "renaming: {} {}",
        renamed.status,
        renamed.text
    );
    app.published_group(&org.token, json!({"name": "Ordinary circle"}))
        .await;
    paths.push(format!("/v1/organizations/{}/calendar.ics", org.id));
    let mut problems = Vec::new();
    for path in &paths {
        let reply = app.get(path).await;
        assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
        let raw = reply.text;
        let body = raw.strip_suffix("\r\n").unwrap_or(&raw);
        if body
            .split("\r\n")
            .any(|l| l.contains('\n') || l.contains('\r'))
        {
            problems.push(format!("{path}: a bare line break in the feed:\n{raw}"));
        }
        if unfold(&raw).contains("\r\nUID:injected@evil") {
            problems.push(format!("{path}: the name injected a VEVENT:\n{raw}"));
        }
        for line in unfold(&raw).split("\r\n") {
            for prop in ["NAME:", "X-WR-CALNAME:"] {
                if let Some(v) = line.strip_prefix(prop) {
                    if v.contains("Grief, loss") || v.contains("Grief; loss") {
                        problems.push(format!(
                            "{path}: `{line}`: commas and semicolons of TEXT must be escaped"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
