//! Create, read, update, replace and delete; tokens and methods.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

use super::support::{create, get_json, hotline, org, send};

#[tokio::test]
async fn create_read_update_replace_delete() {
    let app = spawn_app().await;
    let a = org(&app, "Night Owls").await;

    let res = send(
        &app,
        "POST",
        "/v1/resources",
        Some(&a.token),
        Some(&hotline()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/resources/{id}"));
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "draft");
    assert_eq!(created["kind"], "hotline");
    assert_eq!(created["crisis"], true);
    assert_eq!(created["country"], "GB");
    assert_eq!(created["organization"]["id"], a.id.as_str());
    assert_eq!(created["topics"], json!(["anxiety", "general"]));
    assert_eq!(created["languages"], json!(["en", "pt-BR"]));

    // A draft: the owner sees it with a token, the public does not.
    let (status, owned) = get_json(&app, &location, Some(&a.token)).await;
    assert_eq!(status, 200);
    assert_eq!(owned["name"], "Night line");
    assert_eq!(get_json(&app, &location, None).await.0, 404);

    // Publish with a merge patch; `null` clears an optional field.
    let res = send(
        &app,
        "PATCH",
        &location,
        Some(&a.token),
        Some(&json!({"status": "published", "phone": null})),
    )
    .await;
    assert_eq!(res.status(), 200);
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["status"], "published");
    assert_eq!(patched["phone"], Value::Null);
    assert_eq!(patched["summary"], "Someone to talk to, every night.");

    let res = send(&app, "GET", &location, None, None).await;
    assert_eq!(res.status(), 200);
    let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.contains("public"), "{cache}");

    // PUT replaces everything: fields left out take their defaults.
    let res = send(&app, "PUT", &location, Some(&a.token), Some(&json!({
        "external_id": "line-1", "name": "Night line (text)", "url": "http://nightline.example.org/text",
        "kind": "website", "status": "published"
    }))).await;
    assert_eq!(res.status(), 200);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["version"], 3);
    assert_eq!(replaced["kind"], "website");
    assert_eq!(replaced["crisis"], false);
    assert_eq!(replaced["summary"], Value::Null);
    assert_eq!(replaced["country"], Value::Null);
    assert_eq!(replaced["topics"], json!([]));
    assert_eq!(replaced["languages"], json!([]));

    // external_id is unique among live resources of an organization.
    let res = send(
        &app,
        "POST",
        "/v1/resources",
        Some(&a.token),
        Some(&hotline()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "external_id_taken");

    // Soft delete; afterwards 404 everywhere and the external_id is free.
    let res = send(&app, "DELETE", &location, Some(&a.token), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(get_json(&app, &location, None).await.0, 404);
    assert_eq!(get_json(&app, &location, Some(&a.token)).await.0, 404);
    assert_eq!(
        send(&app, "DELETE", &location, Some(&a.token), None)
            .await
            .status(),
        404
    );
    let (_, list) = get_json(&app, "/v1/resources", None).await;
    assert!(list["data"].as_array().unwrap().is_empty());
    let again = create(&app, &a.token, &hotline()).await;
    assert_ne!(again["id"], created["id"]);
    assert_eq!(again["version"], 1);
}

#[tokio::test]
async fn writes_need_a_token_and_wrong_methods_are_405() {
    let app = spawn_app().await;
    let res = send(&app, "POST", "/v1/resources", None, Some(&hotline())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));

    let id = "0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f02";
    let res = send(&app, "POST", &format!("/v1/resources/{id}"), None, None).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers()["allow"].to_str().unwrap().contains("PATCH"));
    let res = send(&app, "DELETE", "/v1/resources", None, None).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);

    let res = send(&app, "GET", "/v1/resources/not-a-uuid", None, None).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_path");
}
