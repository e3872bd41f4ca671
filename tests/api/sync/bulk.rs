//! Bulk sync (`POST /v1/sync/{kind}`): valid items are applied and the others
//! explained; `atomic=true` applies everything or nothing.

use serde_json::{json, Value};

use crate::helpers::{event_body, group_body, spawn_app};

use super::support::{counts, expected_counts, problem_fields, result, s, with};

#[tokio::test]
async fn bulk_sync_applies_valid_items_and_explains_the_others() {
    let app = spawn_app().await;
    let org = app.org("Bulk partner").await;
    let published = |ext: &str, name: &str| {
        group_body(
            json!({"external_id": ext, "name": name, "status": "published",
                          "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
        )
    };
    let start = app.feed_end().await;

    let mut no_ext = published("x", "No external id");
    no_ext.as_object_mut().unwrap().remove("external_id");
    let batch = json!({
        "upsert": [
            published("a", "Group A"),
            published("b", "Group B with a bad format").as_object().map(|o| {
                let mut o = o.clone();
                o.insert("format".into(), json!("teleport"));
                Value::Object(o)
            }).unwrap(),
            published("c", "Group C"),
            no_ext,
            with(published("e", "Group E"), json!({"capacity": 0})),
            with(published("f", "Group F"), json!({"format": "in_person"})),
        ],
        "delete": ["ghost-1", "ghost-2"]
    });
    let answer = app
        .post("/v1/sync/groups", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(answer["applied"], true, "{answer}");
    assert_eq!(answer["results"].as_array().unwrap().len(), 8, "{answer}");
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 2), ("failed", 4), ("not_found", 2)]),
        "{answer}"
    );
    let mut ids = Vec::new();
    for (i, ext) in [(0, "a"), (2, "c")] {
        let r = result(&answer, i);
        assert_eq!(r["operation"], "upsert");
        assert_eq!(r["outcome"], "created", "{r}");
        assert_eq!(r["external_id"], ext);
        assert_eq!(r["version"], 1, "{r}");
        assert!(r.get("problem").is_none_or(Value::is_null), "{r}");
        let id = s(&r["id"]);
        let g = app.get(&format!("/v1/groups/{id}")).await.expect(200);
        assert_eq!(g["external_id"], ext);
        ids.push(id);
    }
    for (i, field) in [
        (1, "upsert[1].format"),
        (3, "upsert[3].external_id"),
        (4, "upsert[4].capacity"),
        (5, "upsert[5].location"),
    ] {
        let r = result(&answer, i);
        assert_eq!(r["operation"], "upsert");
        let fields = problem_fields(r);
        assert!(
            fields.iter().any(|f| f == field),
            "item {i}: the problem names `{field}`: {r}"
        );
        assert_eq!(r["problem"]["code"], "validation_failed", "{r}");
        assert_eq!(r["problem"]["status"], 422, "{r}");
        assert!(r.get("id").is_none_or(Value::is_null), "{r}");
    }
    for (i, ext) in [(6, "ghost-1"), (7, "ghost-2")] {
        let r = result(&answer, i);
        assert_eq!(r["operation"], "delete");
        assert_eq!(r["outcome"], "not_found", "{r}");
        assert_eq!(r["external_id"], ext);
    }
    let (entries, after_first) = app.feed_since(Some(&start), 100).await;
    assert_eq!(entries.len(), 2, "two listings created: {entries:?}");

    // The same batch again: the valid items are unchanged, nothing new.
    let again = app
        .post("/v1/sync/groups", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 2), ("failed", 4), ("not_found", 2)]),
        "{again}"
    );
    for (n, i) in [0, 2].into_iter().enumerate() {
        let r = result(&again, i);
        assert_eq!(r["outcome"], "unchanged", "{r}");
        assert_eq!(r["id"], ids[n].as_str());
        assert_eq!(r["version"], 1);
    }
    // Only the valid items: every one unchanged.
    let valid = json!({"upsert": [published("a", "Group A"), published("c", "Group C")]});
    let again = app
        .post("/v1/sync/groups", &org.token, &valid)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 2)]),
        "{again}"
    );
    let (entries, _) = app.feed_since(Some(&after_first), 100).await;
    assert!(
        entries.is_empty(),
        "unchanged items add no entries: {entries:?}"
    );

    // Update, delete and create in one batch.
    let batch = json!({
        "upsert": [published("a", "Group A, renamed"), published("d", "Group D")],
        "delete": ["c", "a-never"]
    });
    let answer = app
        .post("/v1/sync/groups", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[
            ("updated", 1),
            ("created", 1),
            ("deleted", 1),
            ("not_found", 1)
        ]),
        "{answer}"
    );
    assert_eq!(result(&answer, 0)["version"], 2);
    assert_eq!(result(&answer, 2)["outcome"], "deleted");
    app.get(&format!("/v1/groups/{}", ids[1]))
        .await
        .problem(404, "not_found");
    let (entries, _) = app.feed_since(Some(&after_first), 100).await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    let tomb = entries
        .iter()
        .find(|e| e["id"] == ids[1].as_str())
        .expect("a tombstone for c");
    assert_eq!(tomb["action"], "delete");
}

#[tokio::test]
async fn atomic_bulk_sync_applies_everything_or_nothing() {
    let app = spawn_app().await;
    let org = app.org("Atomic partner").await;
    let other = app.org("Someone else").await;
    let published = |ext: &str, name: &str| {
        group_body(
            json!({"external_id": ext, "name": name, "status": "published",
                          "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
        )
    };
    let seed = json!({"upsert": [published("a", "A"), published("b", "B")]});
    let seeded = app
        .post("/v1/sync/groups?atomic=true", &org.token, &seed)
        .await
        .expect(200);
    assert_eq!(seeded["applied"], true);
    assert_eq!(counts(&seeded), expected_counts(&[("created", 2)]));

    let directory = app.directory().await;
    let cursor = app.feed_end().await;
    let a_id = s(&result(&seeded, 0)["id"]);

    // One invalid item (caught by validation): 422, nothing applied.
    let batch = json!({
        "upsert": [published("a", "A changed"), published("new", "New"),
                   with(published("bad", "Bad"), json!({"topics": []}))],
        "delete": ["b"]
    });
    let reply = app
        .post("/v1/sync/groups?atomic=true", &org.token, &batch)
        .await;
    let answer = reply.expect(422);
    assert_eq!(answer["applied"], false, "{answer}");
    assert_eq!(
        counts(&answer),
        expected_counts(&[("rolled_back", 3), ("failed", 1)]),
        "{answer}"
    );
    for i in [0, 1, 3] {
        let r = result(&answer, i);
        assert_eq!(r["outcome"], "rolled_back", "{r}");
        assert!(r.get("id").is_none_or(Value::is_null), "{r}");
        assert!(r.get("version").is_none_or(Value::is_null), "{r}");
    }
    assert!(problem_fields(result(&answer, 2)).contains(&"upsert[2].topics".to_owned()));

    // One item failing only when applied (an event naming another
    // organization's group): the earlier items' writes are rolled back.
    let their_group = app
        .published_group(&other.token, json!({"name": "Theirs"}))
        .await;
    let ev = |ext: &str| {
        event_body(json!({"external_id": ext, "listing_status": "published",
                          "starts_at": "2030-03-01T10:00:00", "ends_at": "2030-03-01T12:00:00"}))
    };
    let batch = json!({
        "upsert": [ev("e1"), ev("e2"), with(ev("e3"), json!({"group_id": their_group}))]
    });
    let answer = app
        .post("/v1/sync/events?atomic=true", &org.token, &batch)
        .await
        .expect(422);
    assert_eq!(answer["applied"], false, "{answer}");
    assert_eq!(
        counts(&answer),
        expected_counts(&[("rolled_back", 2), ("failed", 1)]),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 2)).contains(&"upsert[2].group_id".to_owned()),
        "{answer}"
    );
    // Without atomic, the same batch applies the two good events.
    let cursor_other = app.feed_end().await;
    let answer = app
        .post("/v1/sync/events", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 2), ("failed", 1)]),
        "{answer}"
    );
    let (entries, _) = app.feed_since(Some(&cursor_other), 100).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    let event_ids: Vec<String> = entries.iter().map(|e| s(&e["id"])).collect();
    for id in &event_ids {
        app.delete(&format!("/v1/events/{id}"), &org.token)
            .await
            .expect(204);
    }
    let (entries, end) = app.feed_since(Some(&cursor), 100).await;
    let mut mirror_changes: Vec<(String, String)> = entries
        .iter()
        .map(|e| (s(&e["id"]), s(&e["action"])))
        .collect();
    mirror_changes.sort();
    let mut expected: Vec<(String, String)> = event_ids
        .iter()
        .map(|id| (id.clone(), "delete".to_owned()))
        .chain([(their_group.clone(), "upsert".to_owned())])
        .collect();
    expected.sort();
    assert_eq!(
        mirror_changes, expected,
        "the rolled-back batches left nothing in the feed"
    );

    // Nothing of the rolled-back batches is in the directory.
    let mut now = app.directory().await;
    now.remove(&("group".to_owned(), their_group.clone()));
    assert_eq!(now, directory, "rolled-back batches changed the directory");
    let a = app
        .get_auth(&format!("/v1/groups/{a_id}"), &org.token)
        .await
        .expect(200);
    assert_eq!(a["version"], 1);
    assert_eq!(a["name"], "A");

    // All valid with atomic=true: applied.
    let batch = json!({"upsert": [published("a", "A changed")], "delete": ["b"]});
    let answer = app
        .post("/v1/sync/groups?atomic=true", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(answer["applied"], true);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("updated", 1), ("deleted", 1)])
    );
    let (entries, _) = app.feed_since(Some(&end), 100).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
}
