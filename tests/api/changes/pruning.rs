//! Pruning old entries: cursors from before it are gone (410), and a walk
//! from scratch still reproduces the directory.

use serde_json::json;

use crate::helpers::{assert_same_directory, resource_body, spawn_app};

use super::support::{cursor_seq, id_of};

/// Pruning forgets tombstones: a cursor from before them is refused with
/// `410 Gone`; starting again from scratch still reproduces the directory.
#[tokio::test]
async fn a_cursor_older_than_pruned_tombstones_is_gone() {
    let app = spawn_app().await;
    let org = app.org("Pruned partner").await;
    let early = app.feed_end().await;
    let mut groups = Vec::new();
    for i in 0..5 {
        groups.push(
            app.published_group(
                &org.token,
                json!({"name": format!("G{i}"), "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
            )
            .await,
        );
    }
    let res = app
        .post(
            "/v1/resources",
            &org.token,
            &resource_body(json!({"status": "published"})),
        )
        .await
        .expect(201);
    app.patch(
        &format!("/v1/groups/{}", groups[0]),
        &org.token,
        &json!({"name": "G0 renamed"}),
    )
    .await
    .expect(200);
    let mut follower = app.mirror();
    follower.limit = 3;
    follower.drain().await;
    let old = follower.cursor.clone().unwrap();

    // Deletes and an unpublish after the cursor.
    for id in &groups[1..3] {
        app.delete(&format!("/v1/groups/{id}"), &org.token)
            .await
            .expect(204);
    }
    app.patch(
        &format!("/v1/resources/{}", id_of(&res)),
        &org.token,
        &json!({"status": "archived"}),
    )
    .await
    .expect(200);
    let mut up_to_date = app.mirror();
    up_to_date.drain().await;
    let current = up_to_date.cursor.clone().expect("a cursor");

    let (removed, horizon) = {
        let mut conn = app.pool.get().expect("a connection");
        circles::changelog::prune(
            &mut conn,
            (chrono::Utc::now() + chrono::Duration::hours(1)).naive_utc(),
        )
        .expect("prune runs")
    };
    assert!(removed >= 3, "tombstones were removed ({removed})");
    assert!(
        horizon > cursor_seq(&old),
        "the horizon moved past the old cursor"
    );

    let gone = app.get(&format!("/v1/changes?after={old}")).await;
    let p = gone.problem(410, "cursor_expired");
    assert!(p["detail"].as_str().unwrap().contains("start"), "{p}");
    let gone = app
        .get(&format!("/v1/changes?after={old}&limit=1&type=group"))
        .await;
    gone.problem(410, "cursor_expired");

    // A reader that is up to date is still served, and stays exact.
    up_to_date.drain().await;
    assert_same_directory(
        "a reader up to date before the prune",
        &up_to_date.listings,
        &app.directory().await,
    );
    // A reader that had seen nothing yet starts from the beginning.
    app.get(&format!("/v1/changes?after={early}"))
        .await
        .expect(200);

    // From scratch: exactly the directory.
    let mut fresh = app.mirror();
    let entries = fresh.drain().await;
    assert!(
        entries.iter().all(|e| e["action"] == "upsert"),
        "only live listings remain: {entries:?}"
    );
    let directory = app.directory().await;
    assert_eq!(directory.len(), 3, "groups 0, 3 and 4");
    assert_same_directory("after pruning", &fresh.listings, &directory);

    // New writes after the prune come after every old position.
    let g = app
        .published_group(
            &org.token,
            json!({"name": "After the prune", "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
        )
        .await;
    let (entries, _) = app.feed_since(Some(&current), 100).await;
    let new = entries
        .iter()
        .find(|e| e["id"] == g.as_str())
        .unwrap_or_else(|| panic!("the new group follows the old position: {entries:?}"));
    assert!(cursor_seq(new["cursor"].as_str().unwrap()) > cursor_seq(&current));
    up_to_date.drain().await;
    assert!(up_to_date
        .listings
        .contains_key(&("group".to_owned(), g.clone())));
    assert_same_directory(
        "a reader up to date before the prune, after a write",
        &up_to_date.listings,
        &app.directory().await,
    );

    // The follower from before is still told to resynchronize.
    let r = app.get(&format!("/v1/changes?after={old}")).await;
    r.problem(410, "cursor_expired");

    // The reader that resynchronized from scratch keeps polling with the
    // `next_cursor` the feed gave it: it must be served, and see the write.
    let resumed = fresh.cursor.clone().expect("a cursor");
    let r = app.get(&format!("/v1/changes?after={resumed}")).await;
    assert_eq!(
        r.status.as_u16(),
        200,
        "a reader that walked the feed from the start after the prune is refused on its \
         next poll with the next_cursor the feed just gave it (position {}, horizon {horizon}): {}",
        cursor_seq(&resumed),
        r.text
    );
    fresh.drain().await;
    assert_same_directory(
        "after pruning and a write",
        &fresh.listings,
        &app.directory().await,
    );
}

/// A walk from the start of the feed after a prune, in small pages: every
/// `next_cursor` the feed hands out must be accepted on the next page.
#[tokio::test]
async fn a_walk_from_scratch_after_pruning_can_use_small_pages() {
    let app = spawn_app().await;
    let org = app.org("Pruned partner").await;
    let mut groups = Vec::new();
    for i in 0..6 {
        groups.push(
            app.published_group(
                &org.token,
                json!({"name": format!("G{i}"), "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
            )
            .await,
        );
    }
    // The newest entries are tombstones, so the horizon passes the live
    // listings' entries.
    for id in &groups[4..] {
        app.delete(&format!("/v1/groups/{id}"), &org.token)
            .await
            .expect(204);
    }
    {
        let mut conn = app.pool.get().expect("a connection");
        circles::changelog::prune(
            &mut conn,
            (chrono::Utc::now() + chrono::Duration::hours(1)).naive_utc(),
        )
        .expect("prune runs");
    }
    let mut fresh = app.mirror();
    fresh.limit = 2;
    let mut cursor: Option<String> = None;
    let mut pages = Vec::new();
    for _ in 0..10 {
        let path = match &cursor {
            None => "/v1/changes?limit=2".to_owned(),
            Some(c) => format!("/v1/changes?limit=2&after={c}"),
        };
        let r = app.get(&path).await;
        assert_eq!(
            r.status.as_u16(),
            200,
            "page {} of a walk started after the prune, with the feed's own next_cursor \
             {cursor:?}: {}",
            pages.len() + 1,
            r.text
        );
        let page = r.json();
        for e in page["data"].as_array().unwrap() {
            fresh.apply(e);
        }
        pages.push(page["data"].as_array().unwrap().len());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if page["has_more"] == false {
            break;
        }
    }
    assert_same_directory(
        "walked in pages of 2",
        &fresh.listings,
        &app.directory().await,
    );
}
