//! Regressions found by schemathesis (`bash .ci/contract`), one test per
//! finding, each with the answer the document promises.

use reqwest::Method;

use crate::helpers::spawn_app;

/// A NUL character (`%00`) in a query parameter, a path segment or a
/// credential: PostgreSQL refuses it in a text parameter, which surfaced as a
/// 500. No stored text contains NUL, so lookups find nothing (404, 401) and
/// query parameters are malformed (400), alike on both backends.
#[tokio::test]
async fn nul_characters_get_documented_answers_not_500() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Leeds Grief Circle").await;

    for path in [
        "/v1/groups?language=en,a%00b",
        "/v1/groups?organization=a%00b",
        "/v1/groups?q=grief%00",
        "/v1/resources?language=a%00",
        "/v1/resources?organization=a%00b",
        "/v1/events?organization=a%00b",
        "/v1/events.ics?organization=a%00b",
        "/v1/changes?after=a%00",
        "/v1/organizations?cursor=%00",
        "/v1/groups?a%00b=1",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status.as_u16(), 400, "GET {path}: {}", reply.text);
        let p = reply.problem(400, "invalid_query");
        assert!(p["errors"].is_array() || p["detail"].is_string(), "{p}");
    }

    for path in [
        "/v1/organizations/a%00b",
        "/v1/organizations/a%00b/calendar.ics",
    ] {
        let reply = app.get(path).await;
        reply.problem(404, "not_found");
    }
    app.get_auth("/v1/organizations/a%00b/clients", &admin.token)
        .await
        .problem(404, "not_found");
    app.patch(
        "/v1/organizations/a%00b",
        &org.token,
        &serde_json::json!({"description": "Peer support after a loss, in Leeds."}),
    )
    .await
    .problem(404, "not_found");
    app.post(
        "/v1/organizations/a%00b/clients",
        &admin.token,
        &serde_json::json!({}),
    )
    .await
    .problem(404, "not_found");
    app.send(
        Method::DELETE,
        "/v1/clients/cl_%00",
        Some(&admin.token),
        None,
    )
    .await
    .problem(404, "not_found");

    let res = app
        .client
        .post(app.url("/v1/auth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=cl_%00&client_secret=x")
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(res.status().as_u16(), 401);

    // The service is still well after all of it.
    app.get("/v1/groups?language=en").await.expect(200);
}
