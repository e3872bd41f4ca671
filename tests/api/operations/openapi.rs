//! The served OpenAPI document is the committed one, and it is complete.

use serde_json::Value;

use crate::helpers::spawn_app;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn committed() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let text = std::fs::read_to_string(path).expect("openapi/openapi.json is readable");
    serde_json::from_str(&text).expect("openapi/openapi.json is JSON")
}

#[tokio::test]
async fn served_document_equals_the_committed_file() {
    let app = spawn_app().await;
    let reply = app.get("/openapi.json").await;
    let served = reply.expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "content type of /openapi.json"
    );
    let committed = committed();
    if served != committed {
        let mut diffs = Vec::new();
        diff("", &served, &committed, &mut diffs);
        diffs.truncate(20);
        panic!(
            "the served OpenAPI document differs from openapi/openapi.json; \
             run `cargo run -- openapi > openapi/openapi.json`\nfirst differences (served vs committed):\n{}",
            diffs.join("\n")
        );
    }
    // The CLI prints the same document.
    assert_eq!(
        serde_json::from_str::<Value>(&circles::openapi::document_json()).unwrap(),
        served
    );
}

/// Paths where two JSON values differ, for a readable failure.
fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let p = format!("{path}/{k}");
                match y.get(k) {
                    Some(w) => diff(&p, v, w, out),
                    None => out.push(format!("{p}: only served")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{path}/{k}: only committed"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}/{i}"), v, w, out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

#[tokio::test]
async fn every_operation_is_documented_and_writes_need_a_bearer_token() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.expect(200);
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3.1"),
        "OpenAPI 3.1"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer",
        "a bearer security scheme"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for expected in [
        "/v1/auth/token",
        "/v1/organizations",
        "/v1/organizations/{id_or_slug}",
        "/v1/organizations/{id}/clients",
        "/v1/clients/{client_id}",
        "/v1/groups",
        "/v1/groups/{id}",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(expected), "{expected} is documented");
    }
    let mut problems = Vec::new();
    let mut operation_ids = std::collections::HashSet::new();
    let mut count = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            count += 1;
            let name = format!("{} {path}", method.to_uppercase());
            match op["operationId"].as_str() {
                Some(id) if !id.is_empty() => {
                    if !operation_ids.insert(id.to_owned()) {
                        problems.push(format!("{name}: duplicate operationId {id}"));
                    }
                }
                _ => problems.push(format!("{name}: no operationId")),
            }
            if op["tags"].as_array().is_none_or(|t| t.is_empty()) {
                problems.push(format!("{name}: no tags"));
            }
            if op["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{name}: no summary"));
            }
            if op["responses"].as_object().is_none_or(|r| r.is_empty()) {
                problems.push(format!("{name}: no responses"));
            }
            let is_write = matches!(method.as_str(), "post" | "put" | "patch" | "delete");
            if is_write && path != "/v1/auth/token" {
                let security = op["security"].as_array().cloned().unwrap_or_default();
                let bearer = security.iter().any(|s| s.get("bearer").is_some());
                let anonymous = security
                    .iter()
                    .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
                if !bearer {
                    problems.push(format!("{name}: no bearer security"));
                }
                if anonymous {
                    problems.push(format!("{name}: allows anonymous calls"));
                }
            }
        }
    }
    assert!(count >= 16, "{count} operations documented");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every read's parameter examples, sent together as one request (as a
/// developer trying them from `/docs` would, and as schemathesis's examples
/// phase does), are accepted: the answer is the page, or `404` for the
/// example ids that name nothing here, never a `400` about the examples.
#[tokio::test]
async fn the_parameter_examples_of_every_read_work_together() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let doc = committed();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        let mut target = path.clone();
        let mut query = Vec::new();
        for p in op["parameters"].as_array().cloned().unwrap_or_default() {
            let Some(example) = p.get("example") else {
                continue;
            };
            let value = match example {
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let name = p["name"].as_str().expect("a parameter name");
            match p["in"].as_str() {
                Some("path") => target = target.replace(&format!("{{{name}}}"), &value),
                Some("query") => query.push((name.to_owned(), value)),
                _ => {}
            }
        }
        if !query.is_empty() {
            let encoded = serde_urlencoded::to_string(&query).expect("a query string");
            target = format!("{target}?{encoded}");
        }
        let reply = app.get_auth(&target, &admin.token).await;
        let status = reply.status.as_u16();
        assert!(
            status == 200 || (status == 404 && reply.json()["code"] == "not_found"),
            "GET {target}: {status} {}",
            reply.text
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} reads checked");
}
