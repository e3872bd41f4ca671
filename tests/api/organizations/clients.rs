//! Creating organizations and managing API clients: administrators only.

use serde_json::json;

use crate::helpers::{group_body, spawn_app};

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

/// A schemathesis finding: `POST /v1/organizations/{id}/clients` takes no
/// body at all (the document says the body is optional, as the service
/// always treated it).
#[tokio::test]
async fn create_client_without_a_body() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Leeds Bereavement Peer Network").await;
    let res = app
        .client
        .post(app.url(&format!("/v1/organizations/{}/clients", org.id)))
        .bearer_auth(&admin.token)
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(res.status().as_u16(), 201);
}
