//! Defences (issue 13): refused requests leave the response cache alone,
//! one `Authorization` header only, browser hardening headers.

use serde_json::json;

use crate::helpers::{names, spawn_app, spawn_app_with};

/// Anyone can send a request that is refused (no token, no such route, a
/// method a route does not take): it commits nothing, so it must not empty
/// the response cache (20 such requests a second took a cached search from
/// 1.2 ms to 20 ms). Before, each of these emptied it.
#[tokio::test]
async fn refused_writes_leave_the_response_cache_alone() {
    let app = spawn_app_with(|c| c.response_cache_seconds = 30).await;
    let org = app.org("Cache keeper").await;
    app.published_group(&org.token, json!({})).await;
    let before = names(&app.get("/v1/organizations?limit=100").await.expect(200));
    // Written beside the service: unseen while the answer is cached.
    app.create_org(
        "Sideways Trust",
        circles::vocab::OrganizationKind::Nonprofit,
    );
    for (method, path) in [
        ("POST", "/v1/groups"),
        ("DELETE", "/v1/nope"),
        ("PUT", "/healthz"),
        ("PATCH", "/v1/groups/not-a-uuid"),
    ] {
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_client_error(),
            "{method} {path}: {}",
            res.status()
        );
        let now = names(&app.get("/v1/organizations?limit=100").await.expect(200));
        assert_eq!(now, before, "{method} {path} emptied the cache");
    }
    // A write that commits still empties it.
    app.post(
        "/v1/groups",
        &org.token,
        &crate::helpers::group_body(json!({})),
    )
    .await
    .expect(201);
    let now = names(&app.get("/v1/organizations?limit=100").await.expect(200));
    assert!(now.contains(&"Sideways Trust".to_owned()), "{now:?}");
}

/// Two `Authorization` headers: which one counts would be a guess (a proxy
/// may pick the other), so the request is refused. Before, the first won.
#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let app = spawn_app().await;
    let org = app.org("Doubled").await;
    let other = app.org("Other").await;
    let res = app
        .client
        .post(app.url("/v1/groups"))
        .header("authorization", format!("Bearer {}", org.token))
        .header("authorization", format!("Bearer {}", other.token))
        .json(&crate::helpers::group_body(json!({})))
        .send()
        .await
        .unwrap();
    crate::helpers::Reply::from(res)
        .await
        .problem(400, "duplicate_authorization");
    // The token endpoint, with two sets of client credentials.
    let basic = |c: &crate::helpers::ClientCreds| {
        use base64::Engine;
        let pair = format!("{}:{}", c.client_id, c.client_secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    let res = app
        .client
        .post(app.url("/v1/auth/token"))
        .header("authorization", basic(&org.client))
        .header("authorization", basic(&other.client))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    let reply = crate::helpers::Reply::from(res).await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
    // One header still works.
    app.post(
        "/v1/groups",
        &org.token,
        &crate::helpers::group_body(json!({})),
    )
    .await
    .expect(201);
}

/// Every answer says `nosniff`, sends no referrer and may not be framed; the
/// docs page has a strict content security policy; CORS never allows
/// credentials.
#[tokio::test]
async fn answers_carry_browser_hardening_headers() {
    let app = spawn_app().await;
    for path in [
        "/healthz",
        "/v1/groups",
        "/v1/nope",
        "/openapi.json",
        "/docs/",
    ] {
        let r = app.get(path).await;
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            r.header("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
        assert_eq!(
            r.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if path == "/docs/" {
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
                "{csp}"
            );
        }
    }
    let res = app
        .client
        .get(app.url("/v1/groups"))
        .header("origin", "https://example.org")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_some());
    assert!(res
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
}

/// Sends `request` on a raw connection and reads until the service closes
/// it (or `wait` passes): what came back, and whether it closed.
async fn raw_exchange(app: &crate::helpers::TestApp, request: &[u8], wait: u64) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(wait), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// A body that never arrives in full held its connection open for ever
/// (320 of them exhausted the open files and `/healthz` timed out for
/// 90 s): it is now answered `408` with a problem, and the connection is
/// closed, once the body deadline passes (2 s in tests).
#[tokio::test]
async fn a_stalled_body_is_answered_408_and_its_connection_closed() {
    let app = spawn_app().await;
    let (answer, closed) = raw_exchange(
        &app,
        b"POST /v1/auth/token HTTP/1.1\r\nHost: circles\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\nabc",
        10,
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    assert!(closed, "the connection stays open: {answer}");
    // The service still answers.
    app.get("/healthz").await.expect(200);
}
