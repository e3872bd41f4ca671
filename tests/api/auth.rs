//! Bearer tokens (every way a token can be bad) and the token endpoint.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_unauthorized, claims, forge, group_body, spawn_app, unsigned_token, Org, Reply, TestApp,
    JWT_KID, JWT_SECRET,
};

const OTHER_SECRET: &str = "another-secret-that-is-not-ours-0123456789abcdef";

/// Requests that need a token (or check one when sent) for `org`.
async fn protected_requests(app: &TestApp, org: &Org, token: Option<&str>) -> Vec<(String, Reply)> {
    let missing = uuid::Uuid::new_v4();
    let body = group_body(json!({}));
    let mut out = vec![
        (
            "POST /v1/groups".to_owned(),
            app.send(Method::POST, "/v1/groups", token, Some(&body))
                .await,
        ),
        (
            "DELETE /v1/groups/{id}".to_owned(),
            app.send(
                Method::DELETE,
                &format!("/v1/groups/{missing}"),
                token,
                None,
            )
            .await,
        ),
        (
            "PATCH /v1/organizations/{id}".to_owned(),
            app.send(
                Method::PATCH,
                &format!("/v1/organizations/{}", org.id),
                token,
                Some(&json!({"description": "changed"})),
            )
            .await,
        ),
    ];
    if token.is_some() {
        // Public reads refuse a token that is sent but bad.
        out.push((
            "GET /v1/groups/{id}".to_owned(),
            app.send(Method::GET, &format!("/v1/groups/{missing}"), token, None)
                .await,
        ));
    }
    out
}

async fn assert_refused(app: &TestApp, org: &Org, token: Option<&str>, what: &str) {
    for (route, reply) in protected_requests(app, org, token).await {
        assert_unauthorized(&reply, &format!("{what} on {route}"));
    }
}

#[tokio::test]
async fn a_forged_token_with_the_right_key_is_accepted() {
    // Control for the tests below: the forging helper makes valid tokens.
    let app = spawn_app().await;
    let org = app.org("Control").await;
    let token = forge(&claims(&org), Some(JWT_KID), JWT_SECRET);
    app.create_group(&token, &group_body(json!({}))).await;
}

#[tokio::test]
async fn missing_and_malformed_tokens_are_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    assert_refused(&app, &org, None, "no token").await;
    assert_refused(&app, &org, Some("abc"), "token `abc`").await;
    assert_refused(&app, &org, Some("a.b.c"), "token `a.b.c`").await;

    // Not a Bearer scheme at all.
    let res = app
        .client
        .post(app.url("/v1/groups"))
        .header("authorization", "Token abc")
        .json(&group_body(json!({})))
        .send()
        .await
        .unwrap();
    assert_unauthorized(&Reply::from(res).await, "Authorization: Token abc");
}

#[tokio::test]
async fn alg_none_is_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    let c = claims(&org);
    let none = unsigned_token(&c, &json!({"alg": "none"}));
    assert_refused(&app, &org, Some(&none), "alg none").await;
    let none_kid = unsigned_token(&c, &json!({"alg": "none", "typ": "JWT", "kid": JWT_KID}));
    assert_refused(&app, &org, Some(&none_kid), "alg none with our kid").await;
    // A valid HS256 signature with the header swapped for alg none.
    let valid = forge(&c, Some(JWT_KID), JWT_SECRET);
    let mut parts = valid.split('.');
    let _ = parts.next();
    let swapped = format!(
        "{}.{}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"alg": "none", "kid": JWT_KID}).to_string()),
        parts.next().unwrap(),
        parts.next().unwrap()
    );
    assert_refused(&app, &org, Some(&swapped), "alg none with a signature").await;
}

#[tokio::test]
async fn wrong_signature_is_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    let token = forge(&claims(&org), Some(JWT_KID), OTHER_SECRET);
    assert_refused(&app, &org, Some(&token), "wrong signature").await;
    // A tampered payload under the real signature.
    let valid = forge(&claims(&org), Some(JWT_KID), JWT_SECRET);
    let parts: Vec<&str> = valid.split('.').collect();
    let mut c = claims(&org);
    c["scope"] = json!("listings:write organization:write admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(c.to_string()),
        parts[2]
    );
    assert_refused(&app, &org, Some(&tampered), "tampered payload").await;
}

#[tokio::test]
async fn expired_token_is_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    let now = chrono::Utc::now().timestamp();
    let mut c = claims(&org);
    c["exp"] = json!(now - 600);
    c["iat"] = json!(now - 1500);
    let token = forge(&c, Some(JWT_KID), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "expired token").await;
}

#[tokio::test]
async fn wrong_audience_or_issuer_is_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    let mut c = claims(&org);
    c["aud"] = json!("someone-else");
    let token = forge(&c, Some(JWT_KID), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "wrong aud").await;

    let mut c = claims(&org);
    c["iss"] = json!("https://evil.example");
    let token = forge(&c, Some(JWT_KID), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "wrong iss").await;
}

#[tokio::test]
async fn unknown_or_missing_kid_is_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    let token = forge(&claims(&org), Some("some-other-kid"), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "unknown kid").await;
    let token = forge(&claims(&org), None, JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "no kid").await;
}

#[tokio::test]
async fn token_for_an_unknown_client_or_another_organization_is_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    let other = app.org("Other").await;
    let mut c = claims(&org);
    c["sub"] = json!("cl_doesnotexist");
    let token = forge(&c, Some(JWT_KID), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "unknown client").await;
    // A real client claiming to act for another organization.
    let mut c = claims(&org);
    c["org"] = json!(other.id);
    let token = forge(&c, Some(JWT_KID), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "client of another organization").await;
}

#[tokio::test]
async fn revoked_client_is_refused_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Soon revoked").await;
    // The token works before revocation.
    app.create_group(&org.token, &group_body(json!({}))).await;

    app.delete(
        &format!("/v1/clients/{}", org.client.client_id),
        &admin.token,
    )
    .await
    .expect(204);
    assert_refused(&app, &org, Some(&org.token), "revoked client").await;

    // It cannot get a new token either.
    let res = app
        .client
        .post(app.url("/v1/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", org.client.client_id.as_str()),
            ("client_secret", org.client.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let reply = Reply::from(res).await;
    let p = reply.problem(401, "invalid_client");
    assert_eq!(p["error"], "invalid_client");

    // The client list shows the revocation; revoking again is idempotent,
    // an unknown client is 404.
    let list = app
        .get_auth(
            &format!("/v1/organizations/{}/clients", org.id),
            &admin.token,
        )
        .await
        .expect(200);
    let c = &list["data"][0];
    assert_eq!(c["client_id"], org.client.client_id.as_str());
    assert!(c["revoked_at"].is_string(), "revoked_at is set: {list}");
    assert!(!list.to_string().contains(&org.client.client_secret));
    app.delete(
        &format!("/v1/clients/{}", org.client.client_id),
        &admin.token,
    )
    .await
    .expect(204);
    app.delete("/v1/clients/cl_nosuchclient", &admin.token)
        .await
        .problem(404, "not_found");
}

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

#[tokio::test]
async fn token_without_expiry_is_401() {
    let app = spawn_app().await;
    let org = app.org("Org").await;
    let mut c = claims(&org);
    c.as_object_mut().unwrap().remove("exp");
    let token = forge(&c, Some(JWT_KID), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "no exp").await;
    let mut c = claims(&org);
    c.as_object_mut().unwrap().remove("aud");
    let token = forge(&c, Some(JWT_KID), JWT_SECRET);
    assert_refused(&app, &org, Some(&token), "no aud").await;
}

#[tokio::test]
async fn scopes_limit_what_a_token_may_do() {
    let app = spawn_app().await;
    let org = app.org("Scoped").await;
    let g = app.create_group(&org.token, &group_body(json!({}))).await;
    let group_path = format!("/v1/groups/{}", g["id"].as_str().unwrap());
    let org_path = format!("/v1/organizations/{}", org.id);

    let mut c = claims(&org);
    c["scope"] = json!("organization:write");
    let org_only = forge(&c, Some(JWT_KID), JWT_SECRET);
    app.post("/v1/groups", &org_only, &group_body(json!({})))
        .await
        .problem(403, "forbidden");
    app.patch(&group_path, &org_only, &json!({"name": "x"}))
        .await
        .problem(403, "forbidden");
    app.delete(&group_path, &org_only)
        .await
        .problem(403, "forbidden");
    app.patch(&org_path, &org_only, &json!({"area_served": "Leeds"}))
        .await
        .expect(200);

    c["scope"] = json!("listings:write");
    let listings_only = forge(&c, Some(JWT_KID), JWT_SECRET);
    app.patch(&org_path, &listings_only, &json!({"area_served": "York"}))
        .await
        .problem(403, "forbidden");
    app.patch(&group_path, &listings_only, &json!({"name": "Renamed"}))
        .await
        .expect(200);
}

#[tokio::test]
async fn rotated_keys_verify_old_tokens_and_sign_with_the_new_one() {
    const OLD_SECRET: &str = "the-previous-signing-secret-0123456789abcdefgh";
    let app = crate::helpers::spawn_app_with(|c| {
        c.jwt.previous_keys = vec![("old-kid".into(), circles::config::Secret::new(OLD_SECRET))];
    })
    .await;
    let org = app.org("Rotating").await;
    // New tokens carry the current kid.
    let header = jsonwebtoken::decode_header(&org.token).expect("a JWT header");
    assert_eq!(header.kid.as_deref(), Some(JWT_KID));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    // A token signed with the previous key still works.
    let old = forge(&claims(&org), Some("old-kid"), OLD_SECRET);
    app.create_group(&old, &group_body(json!({}))).await;
    // Keys are bound to their kid.
    let mixed = forge(&claims(&org), Some("old-kid"), JWT_SECRET);
    assert_refused(&app, &org, Some(&mixed), "current secret under the old kid").await;
    let mixed = forge(&claims(&org), Some(JWT_KID), OLD_SECRET);
    assert_refused(&app, &org, Some(&mixed), "old secret under the current kid").await;
}

#[tokio::test]
async fn a_generated_secret_survives_a_restart() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.jwt.secret = None;
        c.jwt.kid = None;
    })
    .await;
    let org = app.org("Restarted").await;
    let path = app.dir.path().join("jwt-secret");
    let secret = std::fs::read_to_string(&path).expect("the generated secret is kept");
    assert!(secret.trim().len() >= 32, "a long secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "jwt-secret mode {mode:o}");
    }
    let header = jsonwebtoken::decode_header(&org.token).expect("a JWT header");
    assert!(header.kid.is_some_and(|k| !k.is_empty()), "a derived kid");

    // A second instance on the same data directory accepts the token.
    let mut config =
        crate::helpers::test_config(app.database_url.clone(), app.dir.path().to_path_buf());
    config.jwt.secret = None;
    config.jwt.kid = None;
    let second = crate::helpers::spawn_instance(config);
    let res = app
        .client
        .post(format!("{second}/v1/groups"))
        .bearer_auth(&org.token)
        .json(&group_body(json!({})))
        .send()
        .await
        .unwrap();
    Reply::from(res).await.expect(201);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        secret,
        "the secret is not regenerated"
    );
}
