//! Upsert by external id (`PUT /v1/{kind}/by-external-id/{external_id}`).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{group_body, names_field, spawn_app, Org, TestApp};

use super::support::{s, with, Kind, KINDS};

/// PUT by external id twice: 201 then 200 with nothing changed and no feed
/// entry; a changed body: version + 1 and one entry; a body naming another
/// external id: 422.
async fn upsert_round(app: &TestApp, org: &Org, other: &Org, kind: &Kind) {
    let k = kind.plural;
    let ext = format!("{k}-ext-1");
    let path = format!("/v1/{k}/by-external-id/{ext}");
    let start = app.feed_end().await;

    let first = app.put(&path, &org.token, &(kind.body)()).await;
    let created = first.expect(201);
    let id = s(&created["id"]);
    assert_eq!(
        first.header("location").as_deref(),
        Some(format!("/v1/{k}/{id}").as_str()),
        "{k}: Location of the created listing"
    );
    assert_eq!(created["external_id"], ext.as_str(), "{k}: {created}");
    assert_eq!(created["version"], 1, "{k}: {created}");
    let etag = first
        .header("etag")
        .expect("a write answer carries an ETag");
    assert!(etag.starts_with("\"1-"), "{k}: strong ETag, got {etag}");

    let (entries, after_create) = app.feed_since(Some(&start), 100).await;
    assert_eq!(
        entries.len(),
        1,
        "{k}: one feed entry after create: {entries:?}"
    );
    assert_eq!(entries[0]["type"], kind.feed_type);
    assert_eq!(entries[0]["id"], id.as_str());
    assert_eq!(entries[0]["action"], "upsert");
    let public = app.get(&format!("/v1/{k}/{id}")).await.expect(200);
    assert_eq!(
        entries[0]["data"], public,
        "{k}: the feed shows the public view"
    );

    // The same body again, with and without external_id in it: unchanged.
    for (what, body) in [
        ("same body", (kind.body)()),
        (
            "same body naming the same external_id",
            with((kind.body)(), json!({"external_id": ext})),
        ),
    ] {
        let again = app.put(&path, &org.token, &body).await;
        let same = again.expect(200);
        assert_eq!(same["id"], id.as_str(), "{k}, {what}");
        assert_eq!(
            same["version"], created["version"],
            "{k}, {what}: an identical upsert must not bump the version"
        );
        assert_eq!(
            same["updated_at"], created["updated_at"],
            "{k}, {what}: an identical upsert must not touch updated_at"
        );
        assert_eq!(same, created, "{k}, {what}: the same listing comes back");
        assert!(
            again.header("location").is_none(),
            "{k}: no Location on 200"
        );
    }
    let (entries, _) = app.feed_since(Some(&after_create), 100).await;
    assert!(
        entries.is_empty(),
        "{k}: an unchanged upsert must not add a change-feed entry: {entries:?}"
    );
    let (all, _) = app.feed_since(Some(&start), 100).await;
    assert_eq!(all.len(), 1, "{k}: still exactly one entry: {all:?}");

    // A changed body: 200, version 2, one more entry.
    let changed_body = with((kind.body)(), (kind.change)());
    let changed = app.put(&path, &org.token, &changed_body).await.expect(200);
    assert_eq!(changed["id"], id.as_str());
    assert_eq!(changed["version"], 2, "{k}: {changed}");
    for (field, value) in (kind.change)().as_object().unwrap() {
        assert_eq!(&changed[field], value, "{k}: `{field}` after the change");
    }
    let t0 = chrono::DateTime::parse_from_rfc3339(&s(&created["updated_at"])).unwrap();
    let t1 = chrono::DateTime::parse_from_rfc3339(&s(&changed["updated_at"])).unwrap();
    assert!(t1 >= t0, "{k}: updated_at moves forward");
    let (entries, after_change) = app.feed_since(Some(&after_create), 100).await;
    assert_eq!(
        entries.len(),
        1,
        "{k}: one entry for the change: {entries:?}"
    );
    assert_eq!(entries[0]["id"], id.as_str());
    assert_eq!(entries[0]["data"]["version"], 2);
    // And the changed body again is unchanged.
    let again = app.put(&path, &org.token, &changed_body).await.expect(200);
    assert_eq!(again["version"], 2, "{k}: resending the change");
    assert_eq!(again["updated_at"], changed["updated_at"]);

    // external_id in the body differing from the path: 422, nothing written.
    let clash = app
        .put(
            &path,
            &org.token,
            &with(changed_body.clone(), json!({"external_id": "someone-else"})),
        )
        .await;
    let p = clash.problem(422, "validation_failed");
    assert!(
        names_field(&p, "external_id"),
        "{k}: names external_id: {p}"
    );
    // An invalid body: 422 naming the field.
    let (bad, field) = (kind.invalid)();
    let p = app
        .put(&path, &org.token, &with(changed_body.clone(), bad))
        .await
        .problem(422, "validation_failed");
    assert!(names_field(&p, field), "{k}: names `{field}`: {p}");
    let (entries, _) = app.feed_since(Some(&after_change), 100).await;
    assert!(
        entries.is_empty(),
        "{k}: refused upserts add nothing: {entries:?}"
    );
    let now = app
        .get_auth(&format!("/v1/{k}/{id}"), &org.token)
        .await
        .expect(200);
    assert_eq!(now["version"], 2, "{k}: refused upserts change nothing");

    // External ids are per organization: another org's same id is its own.
    let theirs = app
        .put(&path, &other.token, &(kind.body)())
        .await
        .expect(201);
    assert_ne!(
        theirs["id"],
        id.as_str(),
        "{k}: another organization's listing"
    );
    assert_eq!(theirs["organization"]["id"], other.id.as_str());

    // Deleted, then upserted again: a new listing.
    app.delete(&format!("/v1/{k}/{id}"), &org.token)
        .await
        .expect(204);
    let reborn = app.put(&path, &org.token, &(kind.body)()).await.expect(201);
    assert_ne!(
        reborn["id"],
        id.as_str(),
        "{k}: a deleted listing stays deleted"
    );
    assert_eq!(reborn["version"], 1);
}

#[tokio::test]
async fn upsert_by_external_id_twice_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    let org = app.org("Upserting partner").await;
    let other = app.org("Other partner").await;
    for kind in &KINDS {
        upsert_round(&app, &org, &other, kind).await;
    }
}

#[tokio::test]
async fn upsert_by_external_id_refuses_bad_paths_and_anonymous_callers() {
    let app = spawn_app().await;
    let org = app.org("Strict partner").await;
    let long = "x".repeat(201);
    let reply = app
        .put(
            &format!("/v1/groups/by-external-id/{long}"),
            &org.token,
            &group_body(json!({})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
    let reply = app
        .send(
            Method::PUT,
            "/v1/groups/by-external-id/x",
            None,
            Some(&group_body(json!({}))),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 401, "{}", reply.text);
    assert!(app.directory().await.is_empty());
}
