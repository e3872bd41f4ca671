//! The token endpoint (`POST /v1/auth/token`): form, JSON and Basic
//! credentials, and the requests it refuses.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{group_body, spawn_app, Reply};

async fn token_request(req: reqwest::RequestBuilder) -> Reply {
    Reply::from(req.send().await.expect("sent")).await
}

fn assert_token(reply: &Reply, scope: &str) -> String {
    let body = reply.expect(200);
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(body["expires_in"], 900, "{body}");
    assert_eq!(body["scope"], scope, "{body}");
    let cc = reply.header("cache-control").unwrap_or_default();
    assert!(cc.contains("no-store"), "Cache-Control: {cc}");
    body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn token_endpoint_accepts_form_json_and_basic() {
    let app = spawn_app().await;
    let (org_id, _) = app.create_org("Token org", circles::vocab::OrganizationKind::Nonprofit);
    let c = app.create_client(&org_id, false);
    let url = app.url("/v1/auth/token");
    let scope = "listings:write organization:write";

    let form = token_request(app.client.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &c.client_id),
        ("client_secret", &c.client_secret),
    ]))
    .await;
    let t1 = assert_token(&form, scope);

    let as_json = token_request(app.client.post(&url).json(&json!({
        "grant_type": "client_credentials",
        "client_id": c.client_id,
        "client_secret": c.client_secret,
    })))
    .await;
    let t2 = assert_token(&as_json, scope);

    let basic = token_request(
        app.client
            .post(&url)
            .header(
                "authorization",
                format!(
                    "Basic {}",
                    STANDARD.encode(format!("{}:{}", c.client_id, c.client_secret))
                ),
            )
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    let t3 = assert_token(&basic, scope);

    // Each token works for writes.
    for t in [t1, t2, t3] {
        app.create_group(&t, &group_body(json!({}))).await;
    }

    // A narrower scope can be asked for; a scope not granted cannot.
    let narrow = token_request(app.client.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &c.client_id),
        ("client_secret", &c.client_secret),
        ("scope", "organization:write"),
    ]))
    .await;
    let narrow = assert_token(&narrow, "organization:write");
    app.post("/v1/groups", &narrow, &group_body(json!({})))
        .await
        .problem(403, "forbidden");
    let escalate = token_request(app.client.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &c.client_id),
        ("client_secret", &c.client_secret),
        ("scope", "admin"),
    ]))
    .await;
    let p = escalate.problem(400, "invalid_scope");
    assert_eq!(p["error"], "invalid_scope");

    // An administrator's token carries the admin scope.
    let admin = app.create_client(&org_id, true);
    let reply = token_request(app.client.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &admin.client_id),
        ("client_secret", &admin.client_secret),
    ]))
    .await;
    assert_token(&reply, "listings:write organization:write admin");
}

#[tokio::test]
async fn token_endpoint_refuses_bad_requests() {
    let app = spawn_app().await;
    let (org_id, _) = app.create_org("Token org", circles::vocab::OrganizationKind::Nonprofit);
    let c = app.create_client(&org_id, false);
    let url = app.url("/v1/auth/token");

    // Wrong secret, and an unknown client: 401 invalid_client.
    for (id, secret) in [
        (c.client_id.as_str(), "not-the-secret"),
        ("cl_unknown", c.client_secret.as_str()),
    ] {
        let reply = token_request(app.client.post(&url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ]))
        .await;
        let p: Value = reply.problem(401, "invalid_client");
        assert_eq!(p["error"], "invalid_client", "{p}");
        assert!(reply.header("www-authenticate").is_some());
    }
    // Wrong secret over HTTP Basic.
    let reply = token_request(
        app.client
            .post(&url)
            .basic_auth(&c.client_id, Some("wrong"))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(
        reply.problem(401, "invalid_client")["error"],
        "invalid_client"
    );

    // Another grant type: 400 unsupported_grant_type.
    for grant in ["password", "authorization_code", ""] {
        let reply = token_request(app.client.post(&url).form(&[
            ("grant_type", grant),
            ("client_id", &c.client_id),
            ("client_secret", &c.client_secret),
        ]))
        .await;
        let p = reply.problem(400, "unsupported_grant_type");
        assert_eq!(p["error"], "unsupported_grant_type", "{p}");
    }

    // Missing credentials: 400 invalid_request.
    let reply = token_request(
        app.client
            .post(&url)
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
    assert_eq!(reply.json()["error"], "invalid_request");

    // Neither form nor JSON: 415.
    let reply = token_request(
        app.client
            .post(&url)
            .header("content-type", "text/plain")
            .body("grant_type=client_credentials"),
    )
    .await;
    reply.problem(415, "unsupported_media_type");

    // GET is not allowed.
    let reply = app.get("/v1/auth/token").await;
    reply.problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow").as_deref(), Some("POST"));
}
