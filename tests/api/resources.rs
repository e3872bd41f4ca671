//! Resources: CRUD, tenancy, drafts, validation, filters and crisis-first
//! keyset pagination.

use std::collections::HashSet;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{names, spawn_app, TestApp};

struct Org {
    id: String,
    token: String,
}

async fn org(app: &TestApp, name: &str) -> Org {
    let (id, client_id, secret) = app.create_org_with_client(name, false).await;
    let token = app.token(&client_id, &secret).await;
    Org { id, token }
}

fn hotline() -> Value {
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

async fn send(
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

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = send(app, "POST", "/v1/resources", Some(token), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json().await.unwrap()
}

async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let res = send(app, "GET", path, token, None).await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A minimal published resource.
fn published(name: &str, kind: &str, crisis: bool) -> Value {
    json!({"name": name, "url": format!("https://example.org/{name}"), "kind": kind,
           "crisis": crisis, "status": "published"})
}

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

#[tokio::test]
async fn filters_combine_with_and_and_commas_mean_any_of() {
    let app = spawn_app().await;
    let a = org(&app, "Filter One").await;
    let b = org(&app, "Filter Two").await;
    let b_slug = {
        let r = create(
            &app,
            &b.token,
            &json!({"name": "b-guide", "url": "https://example.org/b", "kind": "guide",
            "topics": ["grief"], "languages": ["es"], "country": "ES", "status": "published"}),
        )
        .await;
        r["organization"]["slug"].as_str().unwrap().to_owned()
    };
    create(&app, &a.token, &json!({"name": "uk-line", "url": "https://example.org/uk", "kind": "hotline",
        "topics": ["general"], "languages": ["en"], "country": "GB", "crisis": true, "status": "published"})).await;
    create(&app, &a.token, &json!({"name": "ie-line", "url": "https://example.org/ie", "kind": "hotline",
        "topics": ["general"], "languages": ["en", "ga"], "country": "IE", "crisis": true, "status": "published"})).await;
    create(
        &app,
        &a.token,
        &json!({"name": "anywhere-app", "url": "https://example.org/app", "kind": "app",
        "topics": ["anxiety"], "languages": ["en"], "status": "published"}),
    )
    .await;
    create(&app, &a.token, &json!({"name": "grief-article", "url": "https://example.org/g", "kind": "article",
        "topics": ["grief", "trauma"], "languages": ["en"], "country": "GB", "status": "published"})).await;

    let sorted = |path: String| {
        let app = &app;
        async move {
            let (status, page) = get_json(app, &path, None).await;
            assert_eq!(status, 200, "{path}: {page}");
            let mut n = names(&page);
            n.sort();
            n
        }
    };
    assert_eq!(
        sorted("/v1/resources?kind=hotline".into()).await,
        vec!["ie-line", "uk-line"]
    );
    assert_eq!(
        sorted("/v1/resources?kind=app,guide".into()).await,
        vec!["anywhere-app", "b-guide"]
    );
    assert_eq!(
        sorted("/v1/resources?topic=grief".into()).await,
        vec!["b-guide", "grief-article"]
    );
    assert_eq!(
        sorted("/v1/resources?language=ES,ga".into()).await,
        vec!["b-guide", "ie-line"]
    );
    assert_eq!(
        sorted(format!("/v1/resources?organization={b_slug}")).await,
        vec!["b-guide"]
    );
    assert_eq!(
        sorted(format!("/v1/resources?organization={}", a.id))
            .await
            .len(),
        4
    );
    // A country filter keeps resources that serve anywhere.
    assert_eq!(
        sorted("/v1/resources?country=GB".into()).await,
        vec!["anywhere-app", "grief-article", "uk-line"]
    );
    assert_eq!(
        sorted("/v1/resources?country=ie,ES".into()).await,
        vec!["anywhere-app", "b-guide", "ie-line"]
    );
    assert_eq!(
        sorted("/v1/resources?crisis=true".into()).await,
        vec!["ie-line", "uk-line"]
    );
    assert_eq!(sorted("/v1/resources?crisis=false".into()).await.len(), 3);
    assert_eq!(
        sorted("/v1/resources?crisis=true&country=GB".into()).await,
        vec!["uk-line"]
    );
    assert_eq!(
        sorted("/v1/resources?kind=article&topic=grief&language=en&country=GB".into()).await,
        vec!["grief-article"]
    );
    assert!(sorted("/v1/resources?kind=hotline&topic=grief".into())
        .await
        .is_empty());

    for bad in [
        "kind=pamphlet",
        "topic=sadness",
        "country=Britain",
        "crisis=maybe",
        "colour=red",
        "limit=0",
        "cursor=garbage",
    ] {
        let res = send(&app, "GET", &format!("/v1/resources?{bad}"), None, None).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let (_, problem) = get_json(&app, "/v1/resources?kind=pamphlet", None).await;
    assert_eq!(problem["errors"][0]["field"], "kind");
    assert!(problem["errors"][0]["allowed"]
        .as_array()
        .unwrap()
        .contains(&json!("hotline")));
}

#[tokio::test]
async fn crisis_resources_come_first_and_a_cursor_walk_sees_each_once() {
    let app = spawn_app().await;
    let a = org(&app, "Walkers").await;
    // Interleave crisis and other resources so that id order alone would mix them.
    let mut created = Vec::new();
    for (i, crisis) in [false, true, false, true, false, true, false]
        .iter()
        .enumerate()
    {
        let r = create(
            &app,
            &a.token,
            &published(&format!("r{i}"), "hotline", *crisis),
        )
        .await;
        created.push((r["id"].as_str().unwrap().to_owned(), *crisis));
    }
    let mut expected: Vec<(String, bool)> = created.clone();
    expected.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));

    let (_, first) = get_json(&app, "/v1/resources", None).await;
    let all: Vec<String> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        all,
        expected.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
    );
    assert_eq!(first["next_cursor"], Value::Null);

    let mut seen: Vec<(String, bool)> = Vec::new();
    let mut path = "/v1/resources?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let res = send(&app, "GET", &path, None, None).await;
        assert_eq!(res.status(), 200);
        let link = res
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let page: Value = res.json().await.unwrap();
        pages += 1;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        for r in data {
            seen.push((
                r["id"].as_str().unwrap().to_owned(),
                r["crisis"].as_bool().unwrap(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => {
                let link = link.expect("a Link header with a next page");
                assert!(link.contains("rel=\"next\""), "{link}");
                assert!(link.contains("limit=2"), "{link}");
                path = format!("/v1/resources?limit=2&cursor={c}");
            }
            None => {
                assert!(link.is_none());
                break;
            }
        }
        assert!(pages < 10, "the walk does not end");
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, expected);
    let unique: HashSet<&String> = seen.iter().map(|s| &s.0).collect();
    assert_eq!(unique.len(), created.len());
    assert!(seen[..3].iter().all(|s| s.1) && seen[3..].iter().all(|s| !s.1));

    // A filtered walk works too, and a cursor from another list is refused.
    let (_, crisis_page) = get_json(&app, "/v1/resources?crisis=true&limit=1", None).await;
    let c = crisis_page["next_cursor"].as_str().unwrap().to_owned();
    let (_, next) = get_json(
        &app,
        &format!("/v1/resources?crisis=true&limit=1&cursor={c}"),
        None,
    )
    .await;
    assert_eq!(next["data"][0]["id"].as_str().unwrap(), expected[1].0);
    let (status, _) = get_json(&app, "/v1/resources?cursor=eyJhIjoieCJ9", None).await;
    assert_eq!(status, 400);
}
