//! Organizations cannot touch each other's data. What only administrators
//! may do: `organizations/`.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{absent, group_body, in_person_body, spawn_app};

#[tokio::test]
async fn another_organization_cannot_write_or_see_drafts() {
    let app = spawn_app().await;
    let a = app.org("Org A").await;
    let b = app.org("Org B").await;

    let draft = app
        .create_group(&a.token, &group_body(json!({"external_id": "a-draft"})))
        .await;
    let published = app
        .create_group(
            &a.token,
            &in_person_body(json!({"external_id": "a-pub", "status": "published"})),
        )
        .await;
    let ids = [
        draft["id"].as_str().unwrap().to_owned(),
        published["id"].as_str().unwrap().to_owned(),
    ];
    let mut before = Vec::new();
    for id in &ids {
        before.push(
            app.get_auth(&format!("/v1/groups/{id}"), &a.token)
                .await
                .expect(200),
        );
    }
    let org_before = app
        .get_auth(&format!("/v1/organizations/{}", a.id), &a.token)
        .await
        .expect(200);

    let hijack = in_person_body(json!({"name": "Hijacked", "status": "published"}));
    for id in &ids {
        let path = format!("/v1/groups/{id}");
        app.put(&path, &b.token, &hijack)
            .await
            .problem(404, "not_found");
        app.patch(&path, &b.token, &json!({"name": "Hijacked"}))
            .await
            .problem(404, "not_found");
        app.patch(&path, &b.token, &json!({"status": "archived"}))
            .await
            .problem(404, "not_found");
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
    // Organization profile: by id and by slug.
    for key in [&a.id, &a.slug] {
        let reply = app
            .patch(
                &format!("/v1/organizations/{key}"),
                &b.token,
                &json!({"name": "Hijacked", "description": "pwned"}),
            )
            .await;
        assert!(
            reply.status.as_u16() == 404 || reply.status.as_u16() == 403,
            "PATCH another organization: {} {}",
            reply.status,
            reply.text
        );
        reply.problem(
            reply.status.as_u16(),
            if reply.status.as_u16() == 404 {
                "not_found"
            } else {
                "forbidden"
            },
        );
    }

    // A's draft is invisible to B and to the public.
    let draft_path = format!("/v1/groups/{}", ids[0]);
    app.get_auth(&draft_path, &b.token)
        .await
        .problem(404, "not_found");
    app.get(&draft_path).await.problem(404, "not_found");
    // A's published group shows B only the public view.
    let seen_by_b = app
        .get_auth(&format!("/v1/groups/{}", ids[1]), &b.token)
        .await
        .expect(200);
    assert!(
        absent(&seen_by_b["location"], "street_address"),
        "{seen_by_b}"
    );

    // Nothing changed.
    for (id, old) in ids.iter().zip(&before) {
        let now = app
            .get_auth(&format!("/v1/groups/{id}"), &a.token)
            .await
            .expect(200);
        assert_eq!(&now, old, "group {id} changed");
        assert_eq!(now["version"], 1);
    }
    let org_after = app
        .get_auth(&format!("/v1/organizations/{}", a.id), &a.token)
        .await
        .expect(200);
    assert_eq!(org_after, org_before, "organization A changed");
    // B's own list of writes created nothing for A.
    let a_groups = app.list_ids(&format!("organization={}", a.id)).await;
    assert_eq!(a_groups, vec![ids[1].clone()]);
}
