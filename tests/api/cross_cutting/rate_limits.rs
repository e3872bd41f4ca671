//! Rate limits (issue 13, hole 8): token requests by address and by client
//! id, reads by address, writes by organization; `429` problem+json with
//! `Retry-After` and the IETF `RateLimit` headers. Before, about 90 wrong
//! secrets a second were answered (each an argon2 hash).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{group_body, spawn_app_with, Reply, TestApp};

async fn token_attempt(app: &TestApp, client_id: &str, forwarded_for: Option<&str>) -> Reply {
    let body = json!({"grant_type": "client_credentials", "client_id": client_id,
                      "client_secret": "wrong-secret"});
    let headers: Vec<(&str, &str)> = forwarded_for
        .map(|a| vec![("x-forwarded-for", a)])
        .unwrap_or_default();
    app.send_with(Method::POST, "/v1/auth/token", None, Some(&body), &headers)
        .await
}

fn assert_limited(reply: &Reply, policy: &str) {
    assert_eq!(reply.status.as_u16(), 429, "{}", reply.text);
    let problem: Value = serde_json::from_str(&reply.text).unwrap();
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let policy_header = reply.header("ratelimit-policy").unwrap();
    assert!(
        policy_header.starts_with(&format!("\"{policy}\";q=")),
        "{policy_header}"
    );
    assert!(reply.header("ratelimit").unwrap().contains(";r=0;"));
}

#[tokio::test]
async fn token_requests_are_limited_by_address_and_by_client_id() {
    let app = spawn_app_with(|c| {
        c.rate_token_per_minute = 3;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    // One token request, by the client (from 127.0.0.1).
    let org = app.org("Guessed partner").await;
    // By address: three wrong secrets, then refused, whatever the client.
    for _ in 0..3 {
        let r = token_attempt(&app, "cl_nobody", Some("203.0.113.7")).await;
        assert_eq!(r.status.as_u16(), 401, "{}", r.text);
        assert!(r.header("ratelimit").is_some());
    }
    assert_limited(
        &token_attempt(&app, "cl_other", Some("203.0.113.7")).await,
        "token",
    );
    // By client id: from ever new addresses, one client's secret may be
    // guessed three times a minute, no more.
    for (i, address) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let r = token_attempt(&app, &org.client.client_id, Some(address)).await;
        let expected = if i < 2 { 401 } else { 429 };
        assert_eq!(r.status.as_u16(), expected, "attempt {i}: {}", r.text);
    }
    // Another address and client are untouched.
    let r = token_attempt(&app, "cl_someone", Some("198.51.100.9")).await;
    assert_eq!(r.status.as_u16(), 401, "{}", r.text);
}

#[tokio::test]
async fn reads_are_limited_by_address_and_a_forged_forwarded_for_does_not_help() {
    // 60 a minute with bursts of 10; no trusted proxy, so
    // X-Forwarded-For is ignored.
    let app = spawn_app_with(|c| c.rate_reads_per_minute = 60).await;
    let mut remaining = Vec::new();
    for i in 0..10 {
        let forged = format!("192.0.2.{i}");
        let r = app
            .send_with(
                Method::GET,
                "/v1/groups",
                None,
                None,
                &[("x-forwarded-for", &forged)],
            )
            .await;
        assert_eq!(r.status.as_u16(), 200, "read {i}: {}", r.text);
        assert_eq!(
            r.header("ratelimit-policy").as_deref(),
            Some("\"reads\";q=60;w=60")
        );
        let rl = r.header("ratelimit").unwrap();
        let r_value: u32 = rl
            .split(';')
            .find_map(|p| p.strip_prefix("r="))
            .unwrap()
            .parse()
            .unwrap();
        remaining.push(r_value);
    }
    assert!(remaining.windows(2).all(|w| w[1] < w[0]), "{remaining:?}");
    assert_limited(&app.get("/v1/taxonomies").await, "reads");
    // The probes are not limited.
    app.get("/healthz").await.expect(200);
    app.get("/readyz").await.expect(200);
}

#[tokio::test]
async fn writes_are_limited_by_organization_and_a_forged_token_spends_nothing() {
    // 12 a minute with bursts of 2.
    let app = spawn_app_with(|c| c.rate_writes_per_minute = 12).await;
    let a = app.org("Busy writer").await;
    let b = app.org("Quiet writer").await;
    let forged = format!("{}x", a.token);
    for _ in 0..5 {
        let r = app
            .post("/v1/groups", &forged, &group_body(json!({})))
            .await;
        assert_eq!(r.status.as_u16(), 401, "{}", r.text);
    }
    for i in 0..2 {
        let r = app
            .post("/v1/groups", &a.token, &group_body(json!({})))
            .await;
        assert_eq!(r.status.as_u16(), 201, "write {i}: {}", r.text);
        assert!(r.header("ratelimit").unwrap().starts_with("\"writes\";"));
    }
    assert_limited(
        &app.post("/v1/groups", &a.token, &group_body(json!({})))
            .await,
        "writes",
    );
    app.post("/v1/groups", &b.token, &group_body(json!({})))
        .await
        .expect(201);
    // Reads with a token are not writes.
    app.get_auth("/v1/groups", &a.token).await.expect(200);
}
