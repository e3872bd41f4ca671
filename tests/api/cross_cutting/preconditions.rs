//! Conditional requests: `If-Match` on writes (no lost updates between two
//! editors), `If-None-Match` on reads (`304 Not Modified`).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    event_body, group_body, resource_body, send_to, spawn_app, Org, Reply, TestApp,
};

fn etag(reply: &Reply) -> String {
    reply
        .header("etag")
        .unwrap_or_else(|| panic!("no ETag on a {} answer: {}", reply.status, reply.text))
}

/// A strong tag `"<version>-<hash>"` naming `version`.
fn assert_strong(tag: &str, version: i64) {
    assert!(
        tag.starts_with(&format!("\"{version}-")) && tag.ends_with('"'),
        "expected a strong ETag for version {version}, got {tag}"
    );
}

async fn patch_if(app: &TestApp, path: &str, token: &str, tag: &str, body: &Value) -> Reply {
    app.send_with(
        Method::PATCH,
        path,
        Some(token),
        Some(body),
        &[("if-match", tag)],
    )
    .await
}

async fn new_group(app: &TestApp, org: &Org) -> String {
    app.published_group(
        &org.token,
        json!({"schedule": {"starts_at": "2030-01-03T19:00:00"}}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_editors_with_one_etag_lose_nothing() {
    let app = spawn_app().await;
    let org = app.org("Two editors").await;
    for round in 0..4 {
        let id = new_group(&app, &org).await;
        let path = format!("/v1/groups/{id}");
        // Both editors read the group (one of them publicly).
        let read_a = app.get_auth(&path, &org.token).await;
        read_a.expect(200);
        let read_b = app.get(&path).await;
        read_b.expect(200);
        let (tag_a, tag_b) = (etag(&read_a), etag(&read_b));
        assert_strong(&tag_a, 1);
        assert_strong(&tag_b, 1);

        let edits = [
            json!({"name": format!("Editor A's name {round}")}),
            json!({"summary": format!("Editor B's summary {round}")}),
        ];
        // Both send their edit at once, each with the tag it read.
        let mut tasks = Vec::new();
        for (edit, tag) in edits.iter().zip([tag_a, tag_b]) {
            let client = app.client.clone();
            let (base, path, token, edit) = (
                app.address.clone(),
                path.clone(),
                org.token.clone(),
                edit.clone(),
            );
            tasks.push(tokio::spawn(async move {
                send_to(
                    &client,
                    &base,
                    Method::PATCH,
                    &path,
                    Some(&token),
                    Some(&edit),
                    &[("if-match", &tag)],
                )
                .await
            }));
        }
        let mut replies = Vec::new();
        for t in tasks {
            replies.push(t.await.expect("the editor finishes"));
        }
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        let winner = match statuses.as_slice() {
            [200, 412] => 0,
            [412, 200] => 1,
            _ => panic!(
                "round {round}: one editor wins and the other gets 412, got {statuses:?}: {} / {}",
                replies[0].text, replies[1].text
            ),
        };
        let loser = 1 - winner;
        let p = replies[loser].problem(412, "precondition_failed");
        assert!(!p["detail"].as_str().unwrap().is_empty());
        let won = replies[winner].json();
        assert_eq!(won["version"], 2);
        assert_strong(&etag(&replies[winner]), 2);

        // The winner's change is there, the loser's is not (yet).
        let now = app.get_auth(&path, &org.token).await;
        let body = now.expect(200);
        let (wf, wv) = edits[winner].as_object().unwrap().iter().next().unwrap();
        let (lf, lv) = edits[loser].as_object().unwrap().iter().next().unwrap();
        assert_eq!(&body[wf], wv, "the winner's change is kept");
        assert_ne!(&body[lf], lv, "the loser's change was not written");

        // The loser reads again and reapplies: nothing is lost.
        let fresh = etag(&now);
        assert_strong(&fresh, 2);
        let retried = patch_if(&app, &path, &org.token, &fresh, &edits[loser]).await;
        let body = retried.expect(200);
        assert_eq!(body["version"], 3);
        assert_eq!(&body[wf], wv, "the winner's change survives the retry");
        assert_eq!(&body[lf], lv, "the loser's change is applied");
    }
}

#[tokio::test]
async fn put_delete_and_star_honour_if_match_and_weak_tags_never_match() {
    let app = spawn_app().await;
    let org = app.org("Careful partner").await;

    for (plural, body, status_field) in [
        (
            "groups",
            group_body(json!({"schedule": {"starts_at": "2030-01-03T19:00:00"}})),
            "status",
        ),
        (
            "events",
            event_body(
                json!({"starts_at": "2030-03-01T10:00:00", "ends_at": "2030-03-01T12:00:00"}),
            ),
            "listing_status",
        ),
        ("resources", resource_body(json!({})), "status"),
    ] {
        let created = app.post(&format!("/v1/{plural}"), &org.token, &body).await;
        let v1 = etag(&created);
        let id = created.expect(201)["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/{plural}/{id}");
        assert_strong(&v1, 1);

        // PATCH with the current tag moves to version 2.
        let r = patch_if(
            &app,
            &path,
            &org.token,
            &v1,
            &json!({status_field: "published"}),
        )
        .await;
        r.expect(200);
        let v2 = etag(&r);
        assert_strong(&v2, 2);

        // PUT with the stale tag: 412, nothing written.
        let mut replaced = body.clone();
        replaced["name"] = json!("Replaced name");
        let r = app
            .send_with(
                Method::PUT,
                &path,
                Some(&org.token),
                Some(&replaced),
                &[("if-match", &v1)],
            )
            .await;
        r.problem(412, "precondition_failed");
        let now = app.get_auth(&path, &org.token).await.expect(200);
        assert_eq!(now["version"], 2, "{plural}: a refused PUT writes nothing");
        assert_ne!(now["name"], "Replaced name");

        // A weak tag naming the current version never matches.
        let weak = format!("W/{v2}");
        let r = patch_if(&app, &path, &org.token, &weak, &json!({"name": "Weak"})).await;
        r.problem(412, "precondition_failed");
        // A list with the stale tag, a weak one and the current one matches.
        let list = format!("{v1}, {weak}, {v2}");
        let r = app
            .send_with(
                Method::PUT,
                &path,
                Some(&org.token),
                Some(&replaced),
                &[("if-match", &list)],
            )
            .await;
        let body3 = r.expect(200);
        assert_eq!(body3["version"], 3, "{plural}");
        assert_eq!(body3["name"], "Replaced name");
        let v3 = etag(&r);

        // `*`: any current version.
        let r = patch_if(&app, &path, &org.token, "*", &json!({"name": "Starred"})).await;
        assert_eq!(r.expect(200)["version"], 4, "{plural}: If-Match *");

        // DELETE with a stale tag: 412 and still there; with the current: 204.
        app.send_with(
            Method::DELETE,
            &path,
            Some(&org.token),
            None,
            &[("if-match", &v3)],
        )
        .await
        .problem(412, "precondition_failed");
        let now = app.get_auth(&path, &org.token).await;
        let current = etag(&now);
        assert_eq!(now.expect(200)["version"], 4);
        let r = app
            .send_with(
                Method::DELETE,
                &path,
                Some(&org.token),
                None,
                &[("if-match", &current)],
            )
            .await;
        assert_eq!(r.status.as_u16(), 204, "{plural}: {}", r.text);
        app.get_auth(&path, &org.token)
            .await
            .problem(404, "not_found");
        // `*` on a listing that is gone: nothing to match.
        let r = patch_if(&app, &path, &org.token, "*", &json!({"name": "Ghost"})).await;
        assert!(
            matches!(r.status.as_u16(), 404 | 412),
            "{plural}: If-Match * on a deleted listing: {} {}",
            r.status,
            r.text
        );
    }
}

/// `If-None-Match` with the ETag of an earlier answer: 304, no body, the tag.
async fn assert_not_modified(app: &TestApp, path: &str, token: Option<&str>) -> String {
    let first = app.send_with(Method::GET, path, token, None, &[]).await;
    first.expect(200);
    let tag = etag(&first);
    for sent in [tag.clone(), format!("\"nope\", {tag}"), "*".to_owned()] {
        let again = app
            .send_with(Method::GET, path, token, None, &[("if-none-match", &sent)])
            .await;
        assert_eq!(
            again.status.as_u16(),
            304,
            "{path} with If-None-Match {sent}: {}",
            again.text
        );
        assert!(again.text.is_empty(), "{path}: a 304 has no body");
        assert_eq!(
            again.header("etag").as_deref(),
            Some(tag.as_str()),
            "{path}: the 304 carries the ETag"
        );
    }
    let other = app
        .send_with(
            Method::GET,
            path,
            token,
            None,
            &[("if-none-match", "\"something-else\"")],
        )
        .await;
    assert_eq!(other.status.as_u16(), 200, "{path}: a different tag");
    assert_eq!(other.text, first.text);
    tag
}

#[tokio::test]
async fn if_none_match_gives_304_on_listings_lists_and_the_change_feed() {
    let app = spawn_app().await;
    let org = app.org("Cached partner").await;
    let id = new_group(&app, &org).await;
    new_group(&app, &org).await;
    let group = format!("/v1/groups/{id}");
    let list = format!("/v1/groups?organization={}&limit=1", org.id);
    let feed = "/v1/changes?limit=10";

    let g_tag = assert_not_modified(&app, &group, None).await;
    assert_strong(&g_tag, 1);
    let owner_tag = assert_not_modified(&app, &group, Some(&org.token)).await;
    assert_strong(&owner_tag, 1);
    let l_tag = assert_not_modified(&app, &list, None).await;
    let f_tag = assert_not_modified(&app, feed, None).await;
    let cursor = app.feed_end().await;
    let tail = format!("/v1/changes?after={cursor}");
    let t_tag = assert_not_modified(&app, &tail, None).await;
    assert_not_modified(&app, "/v1/events?limit=5", None).await;
    assert_not_modified(&app, "/v1/resources", None).await;

    // After a change, the old tags no longer match.
    app.patch(&group, &org.token, &json!({"name": "A new name"}))
        .await
        .expect(200);
    for (path, tag) in [
        (group.as_str(), g_tag),
        (list.as_str(), l_tag),
        (feed, f_tag),
        (tail.as_str(), t_tag),
    ] {
        let r = app
            .send_with(Method::GET, path, None, None, &[("if-none-match", &tag)])
            .await;
        assert_eq!(
            r.status.as_u16(),
            200,
            "{path}: a stale tag must not give 304: {}",
            r.text
        );
        assert_ne!(etag(&r), tag, "{path}: a new tag after the change");
    }
}

/// DESIGN: "Writes accept `If-Match` (stale: `412`)". The upsert by external
/// id is a write: a partner that sends the tag it read must not overwrite a
/// newer version.
#[tokio::test]
async fn upsert_by_external_id_honours_if_match() {
    let app = spawn_app().await;
    let org = app.org("Careful syncing partner").await;
    let path = "/v1/groups/by-external-id/careful-1";
    let body = group_body(json!({"status": "published",
                                 "schedule": {"starts_at": "2030-01-03T19:00:00"}}));
    let created = app.put(path, &org.token, &body).await;
    let v1 = etag(&created);
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    // Someone else edits the group: version 2.
    let edited = app
        .patch(
            &format!("/v1/groups/{id}"),
            &org.token,
            &json!({"name": "Edited elsewhere"}),
        )
        .await;
    let v2 = etag(&edited);
    edited.expect(200);

    let mut mine = body.clone();
    mine["name"] = json!("My stale copy");
    let r = app
        .send_with(
            Method::PUT,
            path,
            Some(&org.token),
            Some(&mine),
            &[("if-match", &v1)],
        )
        .await;
    let status = r.status.as_u16();
    let now = app
        .get_auth(&format!("/v1/groups/{id}"), &org.token)
        .await
        .expect(200);
    assert_eq!(
        (status, now["name"].as_str().unwrap()),
        (412, "Edited elsewhere"),
        "PUT /v1/groups/by-external-id/… with a stale If-Match ({v1}, current {v2}) must \
         answer 412 and keep the newer version; it answered {status} and the group is now \
         version {} named {}",
        now["version"],
        now["name"]
    );
    let r = app
        .send_with(
            Method::PUT,
            path,
            Some(&org.token),
            Some(&mine),
            &[("if-match", &v2)],
        )
        .await;
    assert_eq!(r.expect(200)["name"], "My stale copy");
}
