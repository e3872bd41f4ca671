//! Organizations cannot touch or see each other's events.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{absent, event_body, first_error, spawn_app};

use super::support::{id_of, public_event_ids};

#[tokio::test]
async fn another_organization_cannot_write_or_see_events() {
    let app = spawn_app().await;
    let a = app.org("Org A").await;
    let b = app.org("Org B").await;
    let a_group = app.published_group(&a.token, json!({})).await;
    let b_group = app.published_group(&b.token, json!({})).await;

    let draft = app
        .create_event(
            &a.token,
            &event_body(json!({"external_id": "a-draft", "group_id": a_group})),
        )
        .await;
    let published = app
        .published_event(
            &a.token,
            json!({"external_id": "a-pub", "rrule": "FREQ=WEEKLY;COUNT=3"}),
        )
        .await;
    let ids = [id_of(&draft), id_of(&published)];
    let mut before = Vec::new();
    for id in &ids {
        before.push(
            app.get_auth(&format!("/v1/events/{id}"), &a.token)
                .await
                .expect(200),
        );
    }

    let hijack = event_body(json!({"name": "Hijacked", "listing_status": "published",
                                   "group_id": b_group}));
    for id in &ids {
        let path = format!("/v1/events/{id}");
        app.put(&path, &b.token, &hijack)
            .await
            .problem(404, "not_found");
        app.put(&path, &b.token, &event_body(json!({"name": "Hijacked"})))
            .await
            .problem(404, "not_found");
        for patch in [
            json!({"name": "Hijacked"}),
            json!({"listing_status": "published"}),
            json!({"status": "cancelled"}),
            json!({"group_id": b_group}),
        ] {
            app.patch(&path, &b.token, &patch)
                .await
                .problem(404, "not_found");
        }
        app.delete(&path, &b.token).await.problem(404, "not_found");
        let post = app
            .send(Method::POST, &path, Some(&b.token), Some(&hijack))
            .await;
        assert!(
            post.status.is_client_error() && post.status.as_u16() != 401,
            "POST {path} with another organization's token: {} {}",
            post.status,
            post.text
        );
    }
    // A's draft is invisible to B and to the public.
    let draft_path = format!("/v1/events/{}", ids[0]);
    app.get_auth(&draft_path, &b.token)
        .await
        .problem(404, "not_found");
    app.get(&draft_path).await.problem(404, "not_found");
    // Nothing changed.
    for (id, old) in ids.iter().zip(&before) {
        let now = app
            .get_auth(&format!("/v1/events/{id}"), &a.token)
            .await
            .expect(200);
        assert_eq!(&now, old, "event {id} changed");
        assert_eq!(now["version"], 1);
    }
    assert_eq!(public_event_ids(&app, "").await, vec![ids[1].clone()]);
    assert_eq!(
        public_event_ids(&app, &format!("organization={}", b.id)).await,
        Vec::<String>::new()
    );

    // An event may only belong to a group of its own organization.
    let steal = event_body(json!({"group_id": a_group}));
    let p = app
        .post("/v1/events", &b.token, &steal)
        .await
        .problem(422, "validation_failed");
    assert_eq!(first_error(&p).0, "group_id", "{p}");
    let b_event = app.create_event(&b.token, &event_body(json!({}))).await;
    let b_path = format!("/v1/events/{}", id_of(&b_event));
    let p = app
        .put(&b_path, &b.token, &steal)
        .await
        .problem(422, "validation_failed");
    assert_eq!(first_error(&p).0, "group_id", "{p}");
    let p = app
        .patch(&b_path, &b.token, &json!({"group_id": a_group}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(first_error(&p).0, "group_id", "{p}");
    for bad in [json!(uuid::Uuid::new_v4().to_string()), json!("not-a-uuid")] {
        let p = app
            .post(
                "/v1/events",
                &b.token,
                &event_body(json!({"group_id": bad})),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(first_error(&p).0, "group_id", "{p}");
    }
    // B's event is unchanged and still has no group; its own group is fine.
    let b_now = app.get_auth(&b_path, &b.token).await.expect(200);
    assert!(absent(&b_now, "group_id"), "{b_now}");
    assert_eq!(b_now["version"], 1);
    let own = app
        .patch(&b_path, &b.token, &json!({"group_id": b_group}))
        .await
        .expect(200);
    assert_eq!(own["group_id"], b_group);
    // A's group lists none of B's events, even published ones.
    app.patch(&b_path, &b.token, &json!({"listing_status": "published"}))
        .await
        .expect(200);
    let a_group_events = app
        .get(&format!("/v1/groups/{a_group}/events"))
        .await
        .expect(200);
    assert_eq!(a_group_events["data"], json!([]));

    // Writes need a token with the right scope.
    app.send(
        Method::POST,
        "/v1/events",
        None,
        Some(&event_body(json!({}))),
    )
    .await
    .problem(401, "unauthorized");
    let read_only = crate::helpers::forge(
        &{
            let mut c = crate::helpers::claims(&b);
            c["scope"] = json!("organization:write");
            c
        },
        Some(crate::helpers::JWT_KID),
        crate::helpers::JWT_SECRET,
    );
    app.post("/v1/events", &read_only, &event_body(json!({})))
        .await
        .problem(403, "forbidden");
    app.patch(&b_path, &read_only, &json!({"name": "x"}))
        .await
        .problem(403, "forbidden");
}
