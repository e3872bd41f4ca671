//! Who sees and changes what: other organizations, drafts and archived
//! resources.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{names, spawn_app};

use super::support::{create, get_json, hotline, org, published, send};

#[tokio::test]
async fn another_organization_gets_404_on_every_write_and_changes_nothing() {
    let app = spawn_app().await;
    let a = org(&app, "Owner Org").await;
    let b = org(&app, "Other Org").await;
    let draft = create(&app, &a.token, &hotline()).await;
    let mut body = published("public-guide", "guide", false);
    body["external_id"] = json!("guide-1");
    let public = create(&app, &a.token, &body).await;

    for r in [&draft, &public] {
        let path = format!("/v1/resources/{}", r["id"].as_str().unwrap());
        let put = json!({"name": "Hijacked", "url": "https://evil.example/", "kind": "article", "status": "published"});
        let res = send(&app, "PUT", &path, Some(&b.token), Some(&put)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "PUT {path}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "not_found");
        let res = send(
            &app,
            "PATCH",
            &path,
            Some(&b.token),
            Some(&json!({"name": "Hijacked"})),
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "PATCH {path}");
        let res = send(&app, "DELETE", &path, Some(&b.token), None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "DELETE {path}");

        let (status, now) = get_json(&app, &path, Some(&a.token)).await;
        assert_eq!(status, 200);
        assert_eq!(now["name"], r["name"]);
        assert_eq!(now["version"], 1);
        assert_eq!(now["url"], r["url"]);
    }
    // B sees A's published resource like the public, and not A's draft.
    let draft_path = format!("/v1/resources/{}", draft["id"].as_str().unwrap());
    assert_eq!(get_json(&app, &draft_path, Some(&b.token)).await.0, 404);
    let public_path = format!("/v1/resources/{}", public["id"].as_str().unwrap());
    assert_eq!(get_json(&app, &public_path, Some(&b.token)).await.0, 200);

    // B may reuse A's external_id: it is unique per organization.
    let mine = create(&app, &b.token, &hotline()).await;
    assert_eq!(mine["organization"]["id"], b.id.as_str());
}

#[tokio::test]
async fn drafts_and_archived_resources_are_not_public() {
    let app = spawn_app().await;
    let a = org(&app, "Drafty").await;
    let draft = create(
        &app,
        &a.token,
        &json!({"name": "draft", "url": "https://example.org/d", "kind": "article"}),
    )
    .await;
    let mut archived = published("archived", "article", true);
    archived["status"] = json!("archived");
    let archived = create(&app, &a.token, &archived).await;
    create(&app, &a.token, &published("live", "article", false)).await;

    let (status, list) = get_json(&app, "/v1/resources", None).await;
    assert_eq!(status, 200);
    assert_eq!(names(&list), vec!["live"]);
    // A token does not put drafts into the public list either.
    let (_, list) = get_json(&app, "/v1/resources", Some(&a.token)).await;
    assert_eq!(names(&list), vec!["live"]);
    for r in [&draft, &archived] {
        let path = format!("/v1/resources/{}", r["id"].as_str().unwrap());
        assert_eq!(get_json(&app, &path, None).await.0, 404);
        let res = send(&app, "GET", &path, Some(&a.token), None).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store"));
    }
}
