//! Invalid bodies name the failing field.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

use super::support::{create, get_json, hotline, org, send};

#[tokio::test]
async fn invalid_bodies_name_the_failing_field() {
    let app = spawn_app().await;
    let a = org(&app, "Strict").await;

    let field_errors = |v: &Value| -> Vec<(String, Value)> {
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap().to_owned(), e.clone()))
            .collect()
    };

    let mut bad = hotline();
    bad["kind"] = json!("pamphlet");
    let res = send(&app, "POST", "/v1/resources", Some(&a.token), Some(&bad)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "validation_failed");
    let errors = field_errors(&problem);
    assert_eq!(errors[0].0, "kind");
    let allowed = errors[0].1["allowed"].as_array().unwrap();
    assert!(allowed.contains(&json!("hotline")));
    assert!(allowed.contains(&json!("worksheet")));

    for url in [
        "ftp://example.org/x",
        "not a url",
        "javascript:alert(1)",
        "/relative",
    ] {
        let mut bad = hotline();
        bad["url"] = json!(url);
        let res = send(&app, "POST", "/v1/resources", Some(&a.token), Some(&bad)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(field_errors(&problem)[0].0, "url", "{url}");
    }

    let mut bad = hotline();
    bad["colour"] = json!("red");
    let res = send(&app, "POST", "/v1/resources", Some(&a.token), Some(&bad)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(field_errors(&problem)[0].0, "colour");

    // Several bad fields are reported at once.
    let mut bad = hotline();
    bad["name"] = json!(" ");
    bad["country"] = json!("gb");
    bad["phone"] = json!("call us");
    bad["languages"] = json!(["english language"]);
    bad["summary"] = json!("x".repeat(1001));
    let res = send(&app, "POST", "/v1/resources", Some(&a.token), Some(&bad)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    let fields: HashSet<String> = field_errors(&problem).into_iter().map(|(f, _)| f).collect();
    for f in ["name", "country", "phone", "languages[0]", "summary"] {
        assert!(fields.contains(f), "{f} missing from {fields:?}");
    }

    let res = send(
        &app,
        "POST",
        "/v1/resources",
        Some(&a.token),
        Some(&json!({"name": "x", "kind": "app"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(field_errors(&problem)[0].0, "url");

    // A merge patch is validated like a full write, and nothing changes.
    let created = create(&app, &a.token, &hotline()).await;
    let path = format!("/v1/resources/{}", created["id"].as_str().unwrap());
    let res = send(
        &app,
        "PATCH",
        &path,
        Some(&a.token),
        Some(&json!({"kind": "leaflet"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(field_errors(&problem)[0].0, "kind");
    let res = send(
        &app,
        "PATCH",
        &path,
        Some(&a.token),
        Some(&json!({"url": "mailto:a@b.org"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, now) = get_json(&app, &path, Some(&a.token)).await;
    assert_eq!(now["version"], 1);
    assert_eq!(now["kind"], "hotline");

    let res = app
        .client
        .post(format!("{}/v1/resources", app.address))
        .bearer_auth(&a.token)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "malformed_json");
}
