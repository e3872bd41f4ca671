//! HTTP behaviour of every route: request ids, HEAD and CORS.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, Reply};

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "test-req-123")
        .send()
        .await
        .unwrap();
    let reply = Reply::from(res).await;
    assert_eq!(
        reply.header("x-request-id").as_deref(),
        Some("test-req-123")
    );

    let a = app.get("/healthz").await.header("x-request-id");
    let b = app.get("/healthz").await.header("x-request-id");
    let (a, b) = (a.expect("a generated id"), b.expect("a generated id"));
    assert!(!a.is_empty() && a != b, "generated ids {a} and {b}");

    // Errors carry it too; an insane id is replaced.
    let res = app
        .client
        .get(app.url("/v1/nope"))
        .header("x-request-id", "err-req-1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        Reply::from(res).await.header("x-request-id").as_deref(),
        Some("err-req-1")
    );
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(500))
        .send()
        .await
        .unwrap();
    let id = Reply::from(res)
        .await
        .header("x-request-id")
        .expect("an id");
    assert!(id.len() <= 128, "a 500-character id is not echoed");
}

#[tokio::test]
async fn head_works_where_get_does_and_has_no_body() {
    let app = spawn_app().await;
    let org = app.org("Heads").await;
    let id = app.published_group(&org.token, json!({})).await;
    for path in [
        "/v1/groups".to_owned(),
        format!("/v1/groups/{id}"),
        "/v1/organizations".to_owned(),
        format!("/v1/organizations/{}", org.slug),
        "/readyz".to_owned(),
    ] {
        let res = app.client.head(app.url(&path)).send().await.unwrap();
        let reply = Reply::from(res).await;
        assert_eq!(reply.status.as_u16(), 200, "HEAD {path}");
        assert!(reply.text.is_empty(), "HEAD {path} has a body");
        let ct = reply.header("content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "HEAD {path}: {ct}");
    }
    let res = app
        .client
        .head(app.url(&format!("/v1/groups/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    let reply = Reply::from(res).await;
    assert_eq!(reply.status.as_u16(), 404);
    assert!(reply.text.is_empty());
}

#[tokio::test]
async fn cors_answers_any_origin_without_credentials() {
    let app = spawn_app().await;
    let origin = "https://finder.example";
    let res = app
        .client
        .request(Method::OPTIONS, app.url("/v1/groups"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    let pre = Reply::from(res).await;
    assert!(
        pre.status.is_success(),
        "preflight: {} {}",
        pre.status,
        pre.text
    );
    let allow = pre
        .header("access-control-allow-origin")
        .expect("preflight access-control-allow-origin");
    assert!(allow == "*" || allow == origin, "allow-origin {allow}");
    assert!(pre.header("access-control-allow-methods").is_some());
    assert_ne!(
        pre.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );

    // A preflight for a write with Authorization and a JSON body.
    let res = app
        .client
        .request(
            Method::OPTIONS,
            app.url("/v1/groups/0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f01"),
        )
        .header("origin", origin)
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    let pre = Reply::from(res).await;
    assert!(pre.status.is_success(), "write preflight: {}", pre.status);
    let methods = pre
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(methods.contains("PATCH"), "allow-methods {methods}");
    let headers = pre
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") || headers.contains('*'),
        "allow-headers {headers}"
    );

    for path in ["/v1/groups", "/v1/organizations", "/openapi.json"] {
        let res = app
            .client
            .get(app.url(path))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        let r = Reply::from(res).await;
        assert_eq!(r.status.as_u16(), 200);
        let allow = r
            .header("access-control-allow-origin")
            .unwrap_or_else(|| panic!("GET {path}: no access-control-allow-origin"));
        assert!(
            allow == "*" || allow == origin,
            "GET {path}: allow-origin {allow}"
        );
        assert!(
            r.header("access-control-allow-credentials").is_none(),
            "GET {path}: allow-credentials"
        );
    }
    // Error documents are readable by browsers too.
    for (method, path) in [
        (Method::GET, "/v1/nope".to_owned()),
        (Method::GET, format!("/v1/groups/{}", uuid::Uuid::new_v4())),
        (Method::POST, "/v1/groups".to_owned()),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(&path))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        let r = Reply::from(res).await;
        assert!(r.status.is_client_error(), "{method} {path}");
        assert!(
            r.header("access-control-allow-origin").is_some(),
            "{method} {path} ({}): no access-control-allow-origin",
            r.status
        );
    }
    // Pagination headers are readable by browsers.
    let res = app
        .client
        .get(app.url("/v1/groups"))
        .header("origin", origin)
        .send()
        .await
        .unwrap();
    let expose = Reply::from(res)
        .await
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(expose.contains("link"), "expose-headers {expose}");
}
