//! Organizations cannot touch each other's data; administrators alone
//! onboard organizations and clients.

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

#[tokio::test]
async fn only_administrators_manage_organizations_and_clients() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Ordinary").await;
    let new_org = json!({"name": "Grassroots Ash", "kind": "grassroots"});

    let orgs_before = app.get("/v1/organizations?limit=100").await.expect(200);

    // Non-admin: 403 everywhere, even on its own organization and client.
    app.post("/v1/organizations", &org.token, &new_org)
        .await
        .problem(403, "forbidden");
    let clients_path = format!("/v1/organizations/{}/clients", org.id);
    app.post(&clients_path, &org.token, &json!({}))
        .await
        .problem(403, "forbidden");
    app.post(&clients_path, &org.token, &json!({"admin": true}))
        .await
        .problem(403, "forbidden");
    app.get_auth(&clients_path, &org.token)
        .await
        .problem(403, "forbidden");
    app.get_auth(
        &format!("/v1/organizations/{}/clients", admin.id),
        &org.token,
    )
    .await
    .problem(403, "forbidden");
    app.delete(&format!("/v1/clients/{}", org.client.client_id), &org.token)
        .await
        .problem(403, "forbidden");
    app.delete(
        &format!("/v1/clients/{}", admin.client.client_id),
        &org.token,
    )
    .await
    .problem(403, "forbidden");

    // Nothing was created or revoked.
    let orgs_after = app.get("/v1/organizations?limit=100").await.expect(200);
    assert_eq!(orgs_before["data"], orgs_after["data"]);
    app.create_group(&org.token, &group_body(json!({}))).await;

    // The administrator can do all of it.
    let reply = app.post("/v1/organizations", &admin.token, &new_org).await;
    let created = reply.expect(201);
    assert_eq!(created["slug"], "grassroots-ash");
    assert_eq!(created["kind"], "grassroots");
    assert_eq!(created["verified"], false);
    let location = reply.header("location").expect("Location");
    assert!(
        location.ends_with(created["id"].as_str().unwrap()),
        "{location}"
    );
    let new_id = created["id"].as_str().unwrap();
    app.get(&format!("/v1/organizations/{new_id}"))
        .await
        .expect(200);

    let creds = app
        .post(
            &format!("/v1/organizations/{new_id}/clients"),
            &admin.token,
            &json!({}),
        )
        .await
        .expect(201);
    assert_eq!(creds["organization_id"], new_id);
    assert_eq!(creds["admin"], false);
    let token = app
        .token(
            creds["client_id"].as_str().unwrap(),
            creds["client_secret"].as_str().unwrap(),
        )
        .await;
    let g = app.create_group(&token, &group_body(json!({}))).await;
    assert_eq!(g["organization"]["id"], new_id);

    let list = app
        .get_auth(&format!("/v1/organizations/{new_id}/clients"), &admin.token)
        .await
        .expect(200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(
        !list
            .to_string()
            .contains(creds["client_secret"].as_str().unwrap()),
        "the client list shows a secret"
    );
    app.delete(
        &format!("/v1/clients/{}", creds["client_id"].as_str().unwrap()),
        &admin.token,
    )
    .await
    .expect(204);

    // Duplicate slug: 409 slug_taken.
    app.post(
        "/v1/organizations",
        &admin.token,
        &json!({"name": "Other", "slug": "grassroots-ash", "kind": "nonprofit"}),
    )
    .await
    .problem(409, "slug_taken");
}

#[tokio::test]
async fn only_administrators_set_verified() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Self service").await;
    let path = format!("/v1/organizations/{}", org.id);

    app.patch(&path, &org.token, &json!({"verified": true}))
        .await
        .problem(403, "forbidden");
    app.patch(
        &path,
        &org.token,
        &json!({"verified": true, "description": "We are trustworthy."}),
    )
    .await
    .problem(403, "forbidden");
    let now = app.get(&path).await.expect(200);
    assert_eq!(now["verified"], false);
    assert!(now["description"].is_null(), "{now}");
    app.post(
        "/v1/organizations",
        &org.token,
        &json!({"name": "Self verified", "kind": "nonprofit", "verified": true}),
    )
    .await
    .problem(403, "forbidden");

    // The organization edits its own profile; its private contact is shown
    // to itself only.
    let edited = app
        .patch(
            &path,
            &org.token,
            &json!({"description": "Peer circles.", "contact": {"email": "hi@example.org", "public": false}}),
        )
        .await
        .expect(200);
    assert_eq!(edited["description"], "Peer circles.");
    assert_eq!(edited["verified"], false);
    let public = app.get(&path).await.expect(200);
    assert!(
        public["contact"].is_null(),
        "private contact shown: {public}"
    );
    let other = app.org("Nosy").await;
    let seen = app.get_auth(&path, &other.token).await.expect(200);
    assert!(seen["contact"].is_null(), "private contact shown: {seen}");
    let own = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(own["contact"]["email"], "hi@example.org");

    // The administrator verifies it.
    let verified = app
        .patch(&path, &admin.token, &json!({"verified": true}))
        .await
        .expect(200);
    assert_eq!(verified["verified"], true);
    assert_eq!(app.get(&path).await.expect(200)["verified"], true);
    // The organization may send its unchanged `verified` back, not flip it.
    app.patch(
        &path,
        &org.token,
        &json!({"verified": true, "area_served": "London"}),
    )
    .await
    .expect(200);
    app.patch(&path, &org.token, &json!({"verified": false}))
        .await
        .problem(403, "forbidden");
}
