//! `Idempotency-Key` on `POST` creates: a retry replays the first answer,
//! a changed body is refused, concurrent retries create once, and keys
//! belong to one organization.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{event_body, group_body, resource_body, send_to, spawn_app, Reply, TestApp};

async fn post_with_key(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Reply {
    app.send_with(
        Method::POST,
        path,
        Some(token),
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

fn replayed(reply: &Reply) -> bool {
    reply.header("idempotent-replayed").as_deref() == Some("true")
}

/// How many listings were ever created: one change-feed entry each (drafts
/// included, as tombstones), since nothing here is edited.
async fn count_feed(app: &TestApp) -> usize {
    app.feed_since(None, 100).await.0.len()
}

#[tokio::test]
async fn a_retry_replays_the_first_answer_and_creates_nothing() {
    let app = spawn_app().await;
    let org = app.org("Retrying partner").await;
    for (path, body) in [
        (
            "/v1/groups",
            group_body(json!({"status": "published",
                              "schedule": {"starts_at": "2030-01-03T19:00:00"}})),
        ),
        (
            "/v1/events",
            event_body(json!({"listing_status": "published",
                              "starts_at": "2030-03-01T10:00:00", "ends_at": "2030-03-01T12:00:00"})),
        ),
        (
            "/v1/resources",
            resource_body(json!({"status": "published"})),
        ),
    ] {
        let key = format!("key-{}", uuid::Uuid::new_v4());
        let before = count_feed(&app).await;
        let first = post_with_key(&app, path, &org.token, &key, &body).await;
        let created = first.expect(201);
        assert!(
            !replayed(&first),
            "{path}: the first answer is not a replay"
        );
        let location = first.header("location").expect("a Location");
        assert_eq!(count_feed(&app).await, before + 1);

        for _ in 0..2 {
            let again = post_with_key(&app, path, &org.token, &key, &body).await;
            assert_eq!(again.status.as_u16(), 201, "{path}: {}", again.text);
            assert!(replayed(&again), "{path}: Idempotent-Replayed: true");
            assert_eq!(again.json(), created, "{path}: the same body");
            assert_eq!(again.text, first.text, "{path}: byte for byte");
            assert_eq!(again.header("location"), Some(location.clone()));
            assert!(
                again
                    .header("content-type")
                    .unwrap_or_default()
                    .starts_with("application/json"),
                "{path}: content type of the replay"
            );
            assert_eq!(
                again.header("etag"),
                first.header("etag"),
                "{path}: the replay has the first answer's ETag"
            );
        }
        assert_eq!(count_feed(&app).await, before + 1, "{path}: created once");

        // The same key with another body: 422, nothing created.
        let mut changed = body.clone();
        changed["name"] = json!("Something else entirely");
        let r = post_with_key(&app, path, &org.token, &key, &changed).await;
        let p = r.problem(422, "validation_failed");
        assert!(!replayed(&r));
        assert_eq!(p["errors"][0]["field"], "Idempotency-Key", "{p}");
        assert_eq!(count_feed(&app).await, before + 1, "{path}: still once");
        // Without a key, the same body creates again (no key, no promise).
        app.post(path, &org.token, &body).await.expect(201);
        assert_eq!(count_feed(&app).await, before + 2);
    }
}

#[tokio::test]
async fn a_refused_request_is_replayed_too_and_bad_keys_are_refused() {
    let app = spawn_app().await;
    let org = app.org("Sloppy partner").await;
    let bad = group_body(json!({"format": "teleport"}));
    let first = post_with_key(&app, "/v1/groups", &org.token, "bad-1", &bad).await;
    first.problem(422, "validation_failed");
    let again = post_with_key(&app, "/v1/groups", &org.token, "bad-1", &bad).await;
    // Either replayed or re-validated: the same problem either way.
    again.problem(422, "validation_failed");
    assert_eq!(again.json()["errors"], first.json()["errors"]);

    for key in ["", &"k".repeat(256), "has space"] {
        let r = app
            .send_with(
                Method::POST,
                "/v1/groups",
                Some(&org.token),
                Some(&group_body(json!({}))),
                &[("idempotency-key", key)],
            )
            .await;
        assert_eq!(r.status.as_u16(), 400, "key {key:?}: {}", r.text);
    }
    assert_eq!(count_feed(&app).await, 0, "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_create_exactly_once() {
    let app = spawn_app().await;
    let org = app.org("Impatient partner").await;
    for round in 0..3 {
        let key = format!("burst-{round}");
        let body = group_body(
            json!({"name": format!("Burst {round}"), "status": "published",
                                     "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
        );
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (client, base, token, key, body) = (
                app.client.clone(),
                app.address.clone(),
                org.token.clone(),
                key.clone(),
                body.clone(),
            );
            tasks.push(tokio::spawn(async move {
                send_to(
                    &client,
                    &base,
                    Method::POST,
                    "/v1/groups",
                    Some(&token),
                    Some(&body),
                    &[("idempotency-key", &key)],
                )
                .await
            }));
        }
        let mut originals = Vec::new();
        let mut replays = Vec::new();
        let mut in_progress = 0;
        let mut other = Vec::new();
        for t in tasks {
            let r = t.await.expect("the request finishes");
            match r.status.as_u16() {
                201 if replayed(&r) => replays.push(r.json()),
                201 => originals.push(r.json()),
                409 => {
                    r.problem(409, "idempotency_key_in_progress");
                    in_progress += 1;
                }
                _ => other.push(format!("{} {}", r.status, r.text)),
            }
        }
        assert!(
            other.is_empty(),
            "round {round}: unexpected answers: {other:?}"
        );
        assert_eq!(
            originals.len(),
            1,
            "round {round}: exactly one request creates ({} replays, {in_progress} in progress)",
            replays.len()
        );
        for r in &replays {
            assert_eq!(
                r, &originals[0],
                "round {round}: a replay is the first answer"
            );
        }
        let ids = app.list_ids(&format!("organization={}", org.id)).await;
        assert_eq!(ids.len(), round + 1, "round {round}: one group per key");
        // Once finished, a retry is a replay.
        let again = post_with_key(&app, "/v1/groups", &org.token, &key, &body).await;
        assert!(replayed(&again), "round {round}: {}", again.text);
        assert_eq!(again.json(), originals[0]);
    }
}

#[tokio::test]
async fn keys_belong_to_one_organization() {
    let app = spawn_app().await;
    let one = app.org("First partner").await;
    let two = app.org("Second partner").await;
    let body = group_body(json!({"status": "published",
                                 "schedule": {"starts_at": "2030-01-03T19:00:00"}}));
    let a = post_with_key(&app, "/v1/groups", &one.token, "shared-key", &body).await;
    let a_body = a.expect(201);
    let b = post_with_key(&app, "/v1/groups", &two.token, "shared-key", &body).await;
    let b_body = b.expect(201);
    assert!(!replayed(&b), "another organization's key is not a replay");
    assert_ne!(a_body["id"], b_body["id"]);
    assert_eq!(b_body["organization"]["id"], two.id.as_str());
    // A different body under the same key is fine in another organization.
    let c = post_with_key(
        &app,
        "/v1/resources",
        &app.org("Third partner").await.token,
        "shared-key",
        &resource_body(json!({})),
    )
    .await;
    assert_eq!(c.status.as_u16(), 201, "{}", c.text);
    // Each organization's retry replays its own answer.
    let a2 = post_with_key(&app, "/v1/groups", &one.token, "shared-key", &body).await;
    assert!(replayed(&a2));
    assert_eq!(a2.json(), a_body);
    let b2 = post_with_key(&app, "/v1/groups", &two.token, "shared-key", &body).await;
    assert!(replayed(&b2));
    assert_eq!(b2.json(), b_body);
    assert_eq!(app.list_ids("").await.len(), 2);
}

#[tokio::test]
async fn organizations_are_created_once_per_key() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = json!({"name": "Idempotent Friends", "kind": "grassroots"});
    let first = post_with_key(&app, "/v1/organizations", &admin.token, "org-1", &body).await;
    let created = first.expect(201);
    let again = post_with_key(&app, "/v1/organizations", &admin.token, "org-1", &body).await;
    assert_eq!(again.status.as_u16(), 201, "{}", again.text);
    assert!(replayed(&again));
    assert_eq!(again.json(), created);
    assert_eq!(again.header("location"), first.header("location"));
    let list = app.get("/v1/organizations?limit=100").await.expect(200);
    let named = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"] == "Idempotent Friends")
        .count();
    assert_eq!(named, 1, "one organization: {list}");
}

/// The key's answer is recorded in the create's own transaction. Before,
/// it was recorded afterwards, separately: when that failed (here a trigger
/// refuses it), the group stayed created while the key stayed "running", so
/// the retry got `409` and, five minutes later, created a second group.
/// Now the failure rolls the create back and the retry creates once.
#[tokio::test]
async fn a_failure_recording_the_key_creates_nothing_and_the_retry_creates_once() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let org = app.org("Unlucky partner").await;
    let (refuse, allow) = match app.backend {
        crate::helpers::Backend::Sqlite => (
            "CREATE TRIGGER refuse_keys BEFORE UPDATE ON idempotency_keys \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
            "DROP TRIGGER refuse_keys;",
        ),
        crate::helpers::Backend::Postgres => (
            "CREATE FUNCTION refuse_keys() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
             CREATE TRIGGER refuse_keys BEFORE UPDATE ON idempotency_keys \
             FOR EACH ROW EXECUTE FUNCTION refuse_keys();",
            "DROP TRIGGER refuse_keys ON idempotency_keys; DROP FUNCTION refuse_keys();",
        ),
    };
    let sql = |statements: &str| {
        let mut conn = app.pool.get().expect("a connection");
        conn.batch_execute(statements).expect("the statements run");
    };
    let body = group_body(json!({"status": "published"}));
    let key = format!("key-{}", uuid::Uuid::new_v4());
    sql(refuse);
    let failed = post_with_key(&app, "/v1/groups", &org.token, &key, &body).await;
    assert_eq!(failed.status.as_u16(), 500, "{}", failed.text);
    assert_eq!(count_feed(&app).await, 0, "the group was created anyway");
    sql(allow);
    let retry = post_with_key(&app, "/v1/groups", &org.token, &key, &body).await;
    retry.expect(201);
    assert!(!replayed(&retry));
    let again = post_with_key(&app, "/v1/groups", &org.token, &key, &body).await;
    again.expect(201);
    assert!(replayed(&again));
    assert_eq!(count_feed(&app).await, 1);
}
