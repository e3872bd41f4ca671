//! Concurrent writes on SQLite: no `database is locked`, nothing lost.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{group_body, spawn_sqlite_app, Reply};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_creates_all_succeed_on_sqlite() {
    let app = spawn_sqlite_app().await;
    let org = app.org("Busy org").await;
    let other = app.org("Bystander").await;
    app.published_group(&other.token, json!({"name": "Not ours"}))
        .await;

    let mut handles = Vec::new();
    for i in 0..50 {
        let client = app.client.clone();
        let url = app.url("/v1/groups");
        let token = org.token.clone();
        let body = group_body(json!({
            "name": format!("Concurrent {i}"),
            "external_id": format!("c-{i}"),
            "status": "published",
        }));
        handles.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("sent");
            Reply::from(res).await
        }));
    }
    let mut failures = Vec::new();
    let mut ids = HashSet::new();
    for (i, h) in handles.into_iter().enumerate() {
        let reply = h.await.expect("the task finishes");
        if reply.status.as_u16() == 201 {
            ids.insert(reply.json()["id"].as_str().unwrap().to_owned());
        } else {
            failures.push(format!("#{i}: {} {}", reply.status, reply.text));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 50 concurrent creates failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ids.len(), 50);

    let listed = app.list_ids(&format!("organization={}", org.id)).await;
    assert_eq!(listed.len(), 50, "the organization has 50 public groups");
    assert_eq!(listed.into_iter().collect::<HashSet<_>>(), ids);
    assert_eq!(app.list_ids("").await.len(), 51);
}

/// Concurrent merge patches to different fields of one group: each patch
/// changes only its own field, so every change must survive.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_to_different_fields_are_all_kept() {
    let app = crate::helpers::spawn_app().await;
    let org = app.org("Patch race").await;
    let patches = [
        json!({"name": "Patched name"}),
        json!({"summary": "Patched summary."}),
        json!({"description": "Patched description."}),
        json!({"accessibility": "Step-free access."}),
        json!({"confidentiality_policy": "What is said here stays here."}),
        json!({"capacity": 42}),
        json!({"anonymous_participation": true}),
        json!({"accepting_new_members": false}),
        json!({"external_id": "patched"}),
        json!({"audience": ["carers"]}),
    ];
    let mut lost = Vec::new();
    for round in 0..3 {
        let g = app.create_group(&org.token, &group_body(json!({}))).await;
        let path = format!("/v1/groups/{}", g["id"].as_str().unwrap());
        let mut handles = Vec::new();
        for (i, patch) in patches.iter().enumerate() {
            let client = app.client.clone();
            let url = app.url(&path);
            let token = org.token.clone();
            let mut patch = patch.clone();
            if i == 8 {
                patch["external_id"] = json!(format!("patched-{round}"));
            }
            handles.push(tokio::spawn(async move {
                let res = client
                    .patch(url)
                    .bearer_auth(token)
                    .header("content-type", "application/merge-patch+json")
                    .body(patch.to_string())
                    .send()
                    .await
                    .expect("sent");
                Reply::from(res).await
            }));
        }
        for h in handles {
            let reply = h.await.expect("the task finishes");
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        }
        let now = app.get_auth(&path, &org.token).await.expect(200);
        if now["version"] != 1 + patches.len() {
            lost.push(format!(
                "round {round}: version is {} after {} successful patches of version 1",
                now["version"],
                patches.len()
            ));
        }
        for (i, patch) in patches.iter().enumerate() {
            for (k, v) in patch.as_object().unwrap() {
                let want = if i == 8 {
                    json!(format!("patched-{round}"))
                } else {
                    v.clone()
                };
                if now[k] != want {
                    lost.push(format!(
                        "round {round}: `{k}` is {} instead of {want}",
                        now[k]
                    ));
                }
            }
        }
    }
    assert!(
        lost.is_empty(),
        "concurrent merge patches overwrote each other (lost updates):\n{}",
        lost.join("\n")
    );
}

/// Concurrent creates with one external_id: one wins, the others get the
/// documented conflict (`external_id_taken`), whatever the backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_with_one_external_id_conflict_cleanly() {
    let app = crate::helpers::spawn_app().await;
    let org = app.org("Duplicates").await;
    let mut problems = Vec::new();
    for round in 0..4 {
        let external_id = format!("same-{round}");
        let mut handles = Vec::new();
        for i in 0..12 {
            let client = app.client.clone();
            let url = app.url("/v1/groups");
            let token = org.token.clone();
            let body = group_body(json!({"name": format!("Dup {i}"), "external_id": external_id}));
            handles.push(tokio::spawn(async move {
                let res = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent");
                Reply::from(res).await
            }));
        }
        let mut created = 0;
        for h in handles {
            let reply = h.await.expect("the task finishes");
            match reply.status.as_u16() {
                201 => created += 1,
                409 if reply.json()["code"] == "external_id_taken" => {}
                _ => problems.push(format!("round {round}: {} {}", reply.status, reply.text)),
            }
        }
        if created != 1 {
            problems.push(format!("round {round}: {created} creates won, not 1"));
        }
    }
    assert!(
        problems.is_empty(),
        "concurrent creates with one external_id: the losers should get 409 external_id_taken:\n{}",
        problems.join("\n")
    );
}
