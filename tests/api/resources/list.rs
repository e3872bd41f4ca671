//! The resource list (`GET /v1/resources`): filters, and crisis resources
//! first with a keyset cursor.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{names, spawn_app};

use super::support::{create, get_json, org, published, send};

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
