//! What the resource tests share: an organization with a token, raw
//! requests, and bodies.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;

pub struct Org {
    pub id: String,
    pub token: String,
}

pub async fn org(app: &TestApp, name: &str) -> Org {
    let (id, client_id, secret) = app.create_org_with_client(name, false).await;
    let token = app.token(&client_id, &secret).await;
    Org { id, token }
}

pub fn hotline() -> Value {
    json!({
        "external_id": "line-1",
        "name": "Night line",
        "url": "https://nightline.example.org/",
        "kind": "hotline",
        "summary": "Someone to talk to, every night.",
        "topics": ["general", "anxiety"],
        "languages": ["EN", "pt-br"],
        "crisis": true,
        "phone": "+44 20 7946 0000",
        "country": "GB"
    })
}

pub async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let url = format!("{}{}", app.address, path);
    let mut req = app.client.request(method.parse().unwrap(), url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        let ct = if method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        req = req.header("content-type", ct).body(b.to_string());
    }
    req.send().await.unwrap()
}

pub async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = send(app, "POST", "/v1/resources", Some(token), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json().await.unwrap()
}

pub async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let res = send(app, "GET", path, token, None).await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A minimal published resource.
pub fn published(name: &str, kind: &str, crisis: bool) -> Value {
    json!({"name": name, "url": format!("https://example.org/{name}"), "kind": kind,
           "crisis": crisis, "status": "published"})
}
