//! The full-text index follows every write.

use serde_json::{json, Value};

use crate::helpers::{group_body, spawn_app, TestApp};

async fn found(app: &TestApp, q: &str) -> Vec<String> {
    let path = format!(
        "q={}",
        url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    app.list_ids(&path).await
}

#[tokio::test]
async fn the_search_index_follows_every_write() {
    let app = spawn_app().await;
    let org = app.org("Tamarisk Friends").await;
    let id = app
        .published_group(
            &org.token,
            json!({"name": "Zephyr circle", "summary": "Evenings by the fire.",
                   "description": "We read poems aloud.", "topics": ["grief"]}),
        )
        .await;
    let only = vec![id.clone()];
    for q in [
        "zephyr",
        "Zephyrs",
        "zeph",
        "evening",
        "fire",
        "poem",
        "aloud",
        "grief",
        "loss",
        "tamarisk",
        "circle zephyr",
    ] {
        assert_eq!(found(&app, q).await, only, "q={q} after create");
    }
    assert!(found(&app, "anxiety").await.is_empty());
    let path = format!("/v1/groups/{id}");

    // PUT (replace): the old name is gone, the new one found.
    let body = group_body(
        json!({"name": "Marigold circle", "summary": "Evenings by the fire.",
                                  "topics": ["grief"], "status": "published"}),
    );
    app.put(&path, &org.token, &body).await.expect(200);
    assert!(
        found(&app, "zephyr").await.is_empty(),
        "the old name after PUT"
    );
    assert!(
        found(&app, "poems").await.is_empty(),
        "the dropped description after PUT"
    );
    assert_eq!(found(&app, "marigold").await, only);

    // PATCH: name, summary, description, topics.
    app.patch(&path, &org.token, &json!({"name": "Saffron circle"}))
        .await
        .expect(200);
    assert!(
        found(&app, "marigold").await.is_empty(),
        "the old name after PATCH"
    );
    assert_eq!(found(&app, "saffron").await, only);
    app.patch(
        &path,
        &org.token,
        &json!({"summary": "Juniper tea.", "description": "Sequoia walks."}),
    )
    .await
    .expect(200);
    assert!(found(&app, "fire").await.is_empty());
    assert_eq!(found(&app, "juniper").await, only);
    assert_eq!(found(&app, "sequoia walking").await, only);
    app.patch(&path, &org.token, &json!({"topics": ["loneliness"]}))
        .await
        .expect(200);
    assert!(
        found(&app, "grief").await.is_empty(),
        "the old topic's label"
    );
    assert_eq!(
        found(&app, "isolation").await,
        only,
        "the new topic's label"
    );
    assert_eq!(found(&app, "lonely").await, only, "stemming of the label");

    // Unpublish, publish again, archive.
    app.patch(&path, &org.token, &json!({"status": "draft"}))
        .await
        .expect(200);
    assert!(
        found(&app, "saffron").await.is_empty(),
        "a draft is not found"
    );
    app.patch(&path, &org.token, &json!({"status": "published"}))
        .await
        .expect(200);
    assert_eq!(found(&app, "saffron").await, only, "published again");
    app.patch(&path, &org.token, &json!({"status": "archived"}))
        .await
        .expect(200);
    assert!(found(&app, "saffron").await.is_empty(), "archived");
    app.patch(&path, &org.token, &json!({"status": "published"}))
        .await
        .expect(200);

    // Delete.
    app.delete(&path, &org.token).await.expect(204);
    assert!(found(&app, "saffron").await.is_empty(), "deleted");

    // Bulk sync: create, rename, unpublish, delete.
    let synced = |name: &str, status: &str| {
        group_body(json!({"external_id": "s-1", "name": name, "status": status,
                          "topics": ["trauma"]}))
    };
    let sync = |body: Value| {
        let app = &app;
        let token = org.token.clone();
        async move { app.post("/v1/sync/groups", &token, &body).await.expect(200) }
    };
    let r = sync(json!({"upsert": [synced("Kumquat evenings", "published")]})).await;
    let sid = r["results"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(found(&app, "kumquat").await, vec![sid.clone()]);
    sync(json!({"upsert": [synced("Persimmon evenings", "published")]})).await;
    assert!(found(&app, "kumquat").await.is_empty(), "renamed by sync");
    assert_eq!(found(&app, "persimmon").await, vec![sid.clone()]);
    assert_eq!(found(&app, "evening trauma").await, vec![sid.clone()]);
    sync(json!({"upsert": [synced("Persimmon evenings", "draft")]})).await;
    assert!(
        found(&app, "persimmon").await.is_empty(),
        "unpublished by sync"
    );
    sync(json!({"upsert": [synced("Persimmon evenings", "published")]})).await;
    assert_eq!(found(&app, "persimmon").await, vec![sid.clone()]);
    let r = sync(json!({"delete": ["s-1"]})).await;
    assert_eq!(r["counts"]["deleted"], 1, "{r}");
    assert!(found(&app, "persimmon").await.is_empty(), "deleted by sync");

    // Upsert by external id (PUT).
    let put = |name: &str| group_body(json!({"name": name, "status": "published"}));
    let r = app
        .put(
            "/v1/groups/by-external-id/p-1",
            &org.token,
            &put("Quince mornings"),
        )
        .await
        .expect(201);
    let pid = r["id"].as_str().unwrap().to_owned();
    assert_eq!(found(&app, "quince").await, vec![pid.clone()]);
    app.put(
        "/v1/groups/by-external-id/p-1",
        &org.token,
        &put("Medlar mornings"),
    )
    .await
    .expect(200);
    assert!(found(&app, "quince").await.is_empty());
    assert_eq!(found(&app, "medlar").await, vec![pid]);
}

#[tokio::test]
async fn renaming_an_organization_reindexes_its_groups() {
    let app = spawn_app().await;
    let org = app.org("Tamarisk Friends").await;
    let id = app
        .published_group(&org.token, json!({"name": "Zephyr circle"}))
        .await;
    assert_eq!(found(&app, "tamarisk").await, vec![id.clone()]);
    app.patch(
        &format!("/v1/organizations/{}", org.id),
        &org.token,
        &json!({"name": "Oleander Friends"}),
    )
    .await
    .expect(200);
    let listed = app.get(&format!("/v1/groups/{id}")).await.expect(200);
    assert_eq!(listed["organization"]["name"], "Oleander Friends");
    assert_eq!(
        found(&app, "oleander").await,
        vec![id.clone()],
        "the group is found by its organization's new name"
    );
    assert!(
        found(&app, "tamarisk").await.is_empty(),
        "and no longer by the old one"
    );
}
