//! What a bulk sync body may hold: at most a thousand items, events and
//! resources item by item, and bodies found by schemathesis (NUL characters,
//! a body that is not an object).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{resource_body, spawn_app};

use super::support::{
    counts, expected_counts, problem_fields, result, rich_event, rich_resource, with,
};

#[tokio::test]
async fn bulk_sync_takes_at_most_a_thousand_items() {
    let app = spawn_app().await;
    let org = app.org("Big partner").await;
    let deletes: Vec<String> = (0..1000).map(|i| format!("gone-{i}")).collect();
    let answer = app
        .post(
            "/v1/sync/resources",
            &org.token,
            &json!({"delete": deletes}),
        )
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("not_found", 1000)]),
        "1000 items are fine"
    );

    let upserts: Vec<Value> = (0..600)
        .map(|i| resource_body(json!({"external_id": format!("r-{i}")})))
        .collect();
    let deletes: Vec<String> = (0..401).map(|i| format!("gone-{i}")).collect();
    for (what, body) in [
        (
            "1001 deletes",
            json!({"delete": (0..1001).map(|i| format!("x{i}")).collect::<Vec<_>>()}),
        ),
        (
            "600 upserts and 401 deletes",
            json!({"upsert": upserts, "delete": deletes}),
        ),
    ] {
        for atomic in ["", "?atomic=true"] {
            let reply = app
                .post(&format!("/v1/sync/resources{atomic}"), &org.token, &body)
                .await;
            assert_eq!(reply.status.as_u16(), 413, "{what}: {}", reply.text);
            reply.problem(413, "payload_too_large");
        }
    }
    let (entries, _) = app.feed_since(None, 100).await;
    assert!(entries.is_empty(), "refused batches write nothing");
    let reply = app
        .send_with(
            Method::POST,
            "/v1/sync/resources?atomic=maybe",
            Some(&org.token),
            Some(&json!({"upsert": []})),
            &[],
        )
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
}

#[tokio::test]
async fn bulk_sync_of_events_and_resources_reports_each_item() {
    let app = spawn_app().await;
    let org = app.org("Mixed partner").await;
    let events = json!({
        "upsert": [
            with(rich_event(), json!({"external_id": "ev-1"})),
            with(rich_event(), json!({"external_id": "ev-2", "ends_at": "2030-02-05T17:00:00"})),
            with(rich_event(), json!({"external_id": "ev-3", "timezone": "Mars/Olympus"}))
        ],
        "delete": ["ev-0"]
    });
    let answer = app
        .post("/v1/sync/events", &org.token, &events)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 1), ("failed", 2), ("not_found", 1)]),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 1))
            .iter()
            .any(|f| f.starts_with("upsert[1].")),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 2)).contains(&"upsert[2].timezone".to_owned()),
        "{answer}"
    );
    let again = app
        .post("/v1/sync/events", &org.token, &events)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 1), ("failed", 2), ("not_found", 1)]),
        "{again}"
    );

    let resources = json!({
        "upsert": [
            with(rich_resource(), json!({"external_id": "r-1"})),
            with(rich_resource(), json!({"external_id": "r-2", "url": "not a url"})),
            with(rich_resource(), json!({"external_id": "r-3", "name": "Another line"})),
        ]
    });
    let answer = app
        .post("/v1/sync/resources", &org.token, &resources)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 2), ("failed", 1)]),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 1)).contains(&"upsert[1].url".to_owned()),
        "{answer}"
    );
    let again = app
        .post("/v1/sync/resources", &org.token, &resources)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 2), ("failed", 1)]),
        "{again}"
    );
    let dir = app.directory().await;
    assert_eq!(dir.len(), 3, "one event and two resources: {dir:?}");
}

/// Bulk sync with NUL in a deleted `external_id` or in an item's field name:
/// each is one item's outcome (`not_found`, `failed`), never a 500 for the
/// whole batch on PostgreSQL.
#[tokio::test]
async fn bulk_sync_items_with_nul_are_item_outcomes() {
    let app = spawn_app().await;
    let org = app.org("Leeds Bereavement Peer Network").await;
    for kind in ["groups", "events", "resources"] {
        let body = serde_json::json!({
            "upsert": [{"external_id": "leeds-grief-thu", "na\u{0}me": "Thursday circle"}],
            "delete": ["old-\u{0}leaflet", "old-leaflet-2024"],
        });
        let reply = app
            .post(&format!("/v1/sync/{kind}"), &org.token, &body)
            .await;
        let result = reply.expect(200);
        let outcomes: Vec<&str> = result["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["outcome"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            outcomes,
            ["failed", "not_found", "not_found"],
            "{kind}: {result}"
        );
        assert_eq!(result["results"][0]["problem"]["status"], 422, "{result}");
    }
}

/// A bulk sync body that is a JSON array, not an object: serde read `[]` as
/// an empty request and answered 200 (found by `--thorough` on PostgreSQL).
#[tokio::test]
async fn bulk_sync_body_must_be_an_object() {
    let app = spawn_app().await;
    let org = app.org("Leeds Bereavement Peer Network").await;
    for kind in ["groups", "events", "resources"] {
        for body in [json!([]), json!([[], []]), json!("upsert")] {
            app.post(&format!("/v1/sync/{kind}"), &org.token, &body)
                .await
                .problem(422, "validation_failed");
        }
        app.post(&format!("/v1/sync/{kind}"), &org.token, &json!({}))
            .await
            .expect(200);
    }
}
