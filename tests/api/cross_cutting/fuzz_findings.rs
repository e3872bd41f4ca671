//! Regressions found by schemathesis (`bash .ci/contract`) that span several
//! endpoints, one test per finding, each with the answer the document
//! promises. Findings about one endpoint live with its tests
//! (`sync/bulk_bodies.rs`, `organizations/clients.rs`).

use reqwest::Method;
use serde_json::json;

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

/// An empty value in a comma-separated list of vocabulary values (`stage=`,
/// `topic=grief,`) is refused like any other value that is not in the
/// vocabulary: the document says `minItems: 1` and items from the list.
#[tokio::test]
async fn empty_vocabulary_list_items_are_refused() {
    let app = spawn_app().await;
    for path in [
        "/v1/groups?stage=",
        "/v1/groups?topic=grief,",
        "/v1/groups?format=online,,hybrid",
        "/v1/events?status=",
        "/v1/events.ics?topic=",
        "/v1/resources?kind=",
        "/v1/changes?type=",
        "/v1/changes?type=group,",
    ] {
        let reply = app.get(path).await;
        let p = reply.problem(400, "invalid_query");
        assert!(p.to_string().contains("empty value"), "GET {path}: {p}");
    }
    app.get("/v1/groups?topic=grief&language=")
        .await
        .expect(200);
}

/// A merge patch naming a field the listing does not have is refused even
/// when its value is `null` (which removes nothing).
#[tokio::test]
async fn merge_patch_with_an_unknown_null_field_is_refused() {
    let app = spawn_app().await;
    let org = app.org("Leeds Bereavement Peer Network").await;
    for body in [
        json!({"": null}),
        json!({"nmae": null}),
        json!({"contact": {"fax": null}}),
    ] {
        let reply = app
            .patch(&format!("/v1/organizations/{}", org.id), &org.token, &body)
            .await;
        reply.problem(422, "validation_failed");
    }
    let group = app
        .create_group(&org.token, &crate::helpers::group_body(json!({})))
        .await;
    let id = group["id"].as_str().expect("id");
    app.patch(
        &format!("/v1/groups/{id}"),
        &org.token,
        &json!({"locaton": null}),
    )
    .await
    .problem(422, "validation_failed");
    app.patch(
        &format!("/v1/groups/{id}"),
        &org.token,
        &json!({"summary": null}),
    )
    .await
    .expect(200);
}
