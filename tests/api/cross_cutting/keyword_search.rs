//! Keyword search (`q`) on the events and resources lists (groups:
//! `groups/search/`).

use serde_json::{json, Value};

use crate::helpers::spawn_app;

/// `q` on events and resources: matches are ranked, drafts never appear,
/// renames move the index, and resources keep crisis lines first.
#[tokio::test]
async fn keyword_search_on_events_and_resources() {
    let app = spawn_app().await;
    let org = app.org("Saffron Collective").await;
    let best = app
        .published_event(
            &org.token,
            json!({"name": "Marigold marigold walk", "summary": "A marigold morning."}),
        )
        .await;
    let other = app
        .published_event(
            &org.token,
            json!({"name": "Evening social", "description": "Bring a marigold."}),
        )
        .await;
    let draft = app
        .create_event(
            &org.token,
            &crate::helpers::event_body(json!({"name": "Marigold draft"})),
        )
        .await;
    let found = app.get("/v1/events?q=marigold").await.expect(200);
    let ids: Vec<&str> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![best["id"].as_str().unwrap(), other["id"].as_str().unwrap()],
        "{found}"
    );
    assert!(!ids.contains(&draft["id"].as_str().unwrap()));
    // Pages of a ranked list follow the rank.
    let first = app.get("/v1/events?q=marigo&limit=1").await.expect(200);
    assert_eq!(first["data"][0]["id"], best["id"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!("/v1/events?q=marigo&limit=1&cursor={cursor}"))
        .await
        .expect(200);
    assert_eq!(second["data"][0]["id"], other["id"]);
    assert!(second["next_cursor"].is_null());
    // Found by the organization's name too; a rename moves the index.
    assert_eq!(
        app.get("/v1/events?q=saffron").await.expect(200)["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let path = format!("/v1/events/{}", other["id"].as_str().unwrap());
    app.patch(&path, &org.token, &json!({"name": "Evening quince social"}))
        .await
        .expect(200);
    let q = app.get("/v1/events?q=quince").await.expect(200);
    assert_eq!(q["data"][0]["id"], other["id"]);

    let resource = |name: &str, crisis: bool| {
        json!({"name": name, "url": "https://example.org/help", "kind": if crisis { "hotline" } else { "guide" },
               "crisis": crisis, "topics": ["grief"], "status": "published"})
    };
    let guide = app
        .post(
            "/v1/resources",
            &org.token,
            &resource("Juniper juniper guide", false),
        )
        .await
        .expect(201);
    let line = app
        .post("/v1/resources", &org.token, &resource("Juniper line", true))
        .await
        .expect(201);
    app.post(
        "/v1/resources",
        &org.token,
        &resource("Unrelated guide", false),
    )
    .await
    .expect(201);
    let found = app.get("/v1/resources?q=junip").await.expect(200);
    let ids: Vec<&Value> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(
        ids,
        vec![&line["id"], &guide["id"]],
        "crisis lines first: {found}"
    );
    // Topic labels are searchable ("Grief and loss").
    assert_eq!(
        app.get("/v1/resources?q=loss").await.expect(200)["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let first = app.get("/v1/resources?q=juniper&limit=1").await.expect(200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!("/v1/resources?q=juniper&limit=1&cursor={cursor}"))
        .await
        .expect(200);
    assert_eq!(second["data"][0]["id"], guide["id"]);
    // A cursor of the unranked list does not fit the ranked one.
    let plain = app.get("/v1/resources?limit=1").await.expect(200);
    let cursor = plain["next_cursor"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/resources?q=juniper&cursor={cursor}"))
        .await
        .problem(400, "invalid_cursor");
}
