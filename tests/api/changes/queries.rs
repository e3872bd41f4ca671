//! The feed's query parameters: refusals and the `type` filter.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::helpers::{resource_body, spawn_app};

use super::support::id_of;

#[tokio::test]
async fn the_change_feed_refuses_bad_queries_and_filters_by_type() {
    let app = spawn_app().await;
    let org = app.org("Filtered partner").await;
    let g = app
        .published_group(
            &org.token,
            json!({"schedule": {"starts_at": "2030-01-03T19:00:00"}}),
        )
        .await;
    let r = app
        .post(
            "/v1/resources",
            &org.token,
            &resource_body(json!({"status": "published"})),
        )
        .await
        .expect(201);
    let list_cursor = URL_SAFE_NO_PAD.encode(json!({"a": g}).to_string());
    let negative = URL_SAFE_NO_PAD.encode(json!({"a": "-3"}).to_string());
    for query in [
        "after=not-a-cursor".to_owned(),
        format!("after={list_cursor}"),
        format!("after={negative}"),
        "limit=0".to_owned(),
        "limit=101".to_owned(),
        "type=group,venue".to_owned(),
        "since=0".to_owned(),
    ] {
        let reply = app.get(&format!("/v1/changes?{query}")).await;
        assert_eq!(reply.status.as_u16(), 400, "{query}: {}", reply.text);
        let body = reply.json();
        assert!(body["code"].is_string(), "{query}: a problem: {body}");
    }
    for (types, expected) in [
        ("group", vec![g.clone()]),
        ("resource", vec![id_of(&r)]),
        ("event", vec![]),
        ("resource,group", vec![g.clone(), id_of(&r)]),
    ] {
        let page = app
            .get(&format!("/v1/changes?type={types}"))
            .await
            .expect(200);
        let ids: Vec<String> = page["data"].as_array().unwrap().iter().map(id_of).collect();
        assert_eq!(ids, expected, "type={types}");
        assert_eq!(page["has_more"], false);
    }
    // An empty page still hands out a cursor to poll from.
    let end = app.feed_end().await;
    let page = app
        .get(&format!("/v1/changes?after={end}"))
        .await
        .expect(200);
    assert_eq!(page["data"], json!([]));
    assert_eq!(page["next_cursor"], end.as_str());
    assert_eq!(page["has_more"], false);
    let page = app.get("/v1/changes?limit=1").await.expect(200);
    assert_eq!(page["has_more"], true);
    assert_eq!(page["data"][0]["id"], g.as_str());
}
