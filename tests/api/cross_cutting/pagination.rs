//! Cursor pages: every group exactly once even while groups are added, and
//! the `Link` header. The group list's filters: `groups/list.rs`.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::helpers::{group_body, spawn_app, Reply};

/// The URL of a `Link: <url>; rel="next"` header.
fn next_link(reply: &Reply) -> Option<String> {
    let link = reply.header("link")?;
    assert!(link.contains(r#"rel="next""#), "Link: {link}");
    let start = link.find('<').expect("Link has <") + 1;
    let end = link.find('>').expect("Link has >");
    Some(link[start..end].to_owned())
}

/// The `cursor` of a `Link` URL, resolved against the request's (it is
/// relative unless `CIRCLES_PUBLIC_URL` is set).
fn cursor_param(url: &str) -> Option<String> {
    let base = url::Url::parse("http://127.0.0.1/v1/groups").unwrap();
    let u = base.join(url).expect("the Link URL resolves");
    u.query_pairs()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn walking_cursors_sees_every_group_once_while_groups_are_added() {
    let app = spawn_app().await;
    let org = app.org("Many groups").await;
    let mut initial = Vec::new();
    for i in 0..25 {
        initial.push(
            app.published_group(&org.token, json!({"name": format!("Group {i:02}")}))
                .await,
        );
    }
    // Drafts never show up.
    app.create_group(&org.token, &group_body(json!({"name": "Draft"})))
        .await;

    let mut seen: Vec<String> = Vec::new();
    let mut url = app.url("/v1/groups?limit=7&format=online,hybrid&topic=anxiety,grief");
    let mut pages = 0;
    let mut added = 0;
    loop {
        pages += 1;
        assert!(pages < 30, "the walk does not end");
        let res = app.client.get(&url).send().await.expect("sent");
        let reply = Reply::from(res).await;
        let page = reply.expect(200);
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= 7, "page of {} with limit=7", data.len());
        seen.extend(data.iter().map(|g| g["id"].as_str().unwrap().to_owned()));
        let next = page["next_cursor"].as_str().map(str::to_owned);
        let link = next_link(&reply);
        match (&next, &link) {
            (None, None) => break,
            (Some(c), Some(l)) => {
                assert_eq!(data.len(), 7, "a page before the last is full");
                assert!(l.contains("cursor="), "Link: {l}");
                assert_eq!(cursor_param(l).as_deref(), Some(c.as_str()), "Link: {l}");
                let pairs: HashMap<String, String> = url::Url::parse("http://127.0.0.1")
                    .unwrap()
                    .join(l)
                    .unwrap()
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                assert_eq!(
                    pairs.get("limit").map(String::as_str),
                    Some("7"),
                    "Link: {l}"
                );
                assert_eq!(
                    pairs.get("format").map(String::as_str),
                    Some("online,hybrid"),
                    "Link: {l}"
                );
                assert_eq!(
                    pairs.get("topic").map(String::as_str),
                    Some("anxiety,grief"),
                    "Link: {l}"
                );
                url = app.url(l);
            }
            _ => panic!("next_cursor {next:?} but Link {link:?}"),
        }
        // Groups are added between pages.
        for _ in 0..2 {
            app.published_group(&org.token, json!({"name": format!("Late {added}")}))
                .await;
            added += 1;
        }
    }

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &seen {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let dups: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "duplicates across pages: {dups:?}");
    for id in &initial {
        assert_eq!(
            counts.get(id.as_str()),
            Some(&1),
            "group {id} seen {:?} times",
            counts.get(id.as_str())
        );
    }
    assert!(pages >= 4, "walked {pages} pages");
    // A plain walk after the fact sees every published group once.
    let all: HashSet<String> = app.list_ids("").await.into_iter().collect();
    assert_eq!(all.len(), 25 + added);
}

#[tokio::test]
async fn organizations_are_paged_too() {
    let app = spawn_app().await;
    let mut ids = HashSet::new();
    for i in 0..5 {
        ids.insert(
            app.create_org(
                &format!("Org {i}"),
                circles::vocab::OrganizationKind::Grassroots,
            )
            .0,
        );
    }
    let mut seen = Vec::new();
    let mut url = app.url("/v1/organizations?limit=2");
    loop {
        let reply = Reply::from(app.client.get(&url).send().await.unwrap()).await;
        let page = reply.expect(200);
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned()),
        );
        match (page["next_cursor"].as_str(), next_link(&reply)) {
            (None, None) => break,
            (Some(c), Some(l)) => {
                assert_eq!(cursor_param(&l).as_deref(), Some(c));
                // Relative (no CIRCLES_PUBLIC_URL): resolved against the request.
                url = app.url(&l);
            }
            (c, l) => panic!("next_cursor {c:?} but Link {l:?}"),
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), ids);
}

/// `X-Forwarded-Host` (or `Host`) never makes it into a link: the response
/// cache served such a link to everyone for up to 10 s (a CDN, 60 s).
/// Absolute links come from `CIRCLES_PUBLIC_URL` only.
#[tokio::test]
async fn links_never_name_a_host_the_client_chose() {
    for public_url in [None, Some("https://api.circles.example")] {
        let app = crate::helpers::spawn_app_with(|c| {
            c.response_cache_seconds = 30;
            c.public_url = public_url.map(str::to_owned);
        })
        .await;
        let org = app.org("Linked").await;
        for i in 0..3 {
            app.published_group(&org.token, json!({"name": format!("Linked {i}")}))
                .await;
        }
        for _ in 0..2 {
            let res = app
                .client
                .get(app.url("/v1/groups?limit=1"))
                .header("x-forwarded-host", "evil.example")
                .header("x-forwarded-proto", "http")
                .header("forwarded", "host=evil.example;proto=http")
                .send()
                .await
                .unwrap();
            let reply = Reply::from(res).await;
            let link = next_link(&reply).expect("a next page");
            assert!(!link.contains("evil"), "{link}");
            match public_url {
                Some(base) => assert!(link.starts_with(&format!("{base}/v1/groups?")), "{link}"),
                None => assert!(link.starts_with("/v1/groups?"), "{link}"),
            }
        }
    }
}
