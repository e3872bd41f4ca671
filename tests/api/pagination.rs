//! Cursor pages: every group exactly once even while groups are added, the
//! `Link` header, and filters combined.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::helpers::{group_body, in_person_body, spawn_app, Reply};

/// The URL of a `Link: <url>; rel="next"` header.
fn next_link(reply: &Reply) -> Option<String> {
    let link = reply.header("link")?;
    assert!(link.contains(r#"rel="next""#), "Link: {link}");
    let start = link.find('<').expect("Link has <") + 1;
    let end = link.find('>').expect("Link has >");
    Some(link[start..end].to_owned())
}

fn cursor_param(url: &str) -> Option<String> {
    let u = url::Url::parse(url).expect("the Link URL is absolute");
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
                let pairs: HashMap<String, String> = url::Url::parse(l)
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
                url = l.clone();
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
                url = l;
            }
            (c, l) => panic!("next_cursor {c:?} but Link {l:?}"),
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), ids);
}

#[tokio::test]
async fn filters_combine_with_and_and_lists_mean_any_of() {
    let app = spawn_app().await;
    let a = app.org("Filter A").await;
    let b = app.org("Filter B").await;
    let g1 = app
        .published_group(&a.token, json!({"name": "g1", "topics": ["grief"]}))
        .await;
    let g2 = in_person_body(json!({"name": "g2", "topics": ["grief", "trauma"],
        "format": "hybrid", "languages": ["es"], "cost": {"kind": "donation"},
        "online": {"platform": "Zoom"}, "status": "published"}));
    let g2 = app.create_group(&a.token, &g2).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g3 = app
        .create_group(
            &a.token,
            &in_person_body(
                json!({"name": "g3", "topics": ["trauma"], "accepting_new_members": false,
                "facilitation": "professional", "status": "published"}),
            ),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g4 = app
        .published_group(
            &a.token,
            json!({"name": "g4", "topics": ["anxiety"], "languages": ["en", "fr"],
                "recovery_stages": ["growth"], "support_types": ["informational"],
                "enrollment": "cohort", "cohort": {"starts_on": "2027-01-12", "ends_on": "2027-03-02"},
                "cost": {"kind": "sliding_scale", "amount": "5.00", "currency": "GBP"}}),
        )
        .await;
    // A draft matching everything is never listed.
    app.create_group(
        &a.token,
        &group_body(json!({"name": "draft", "topics": ["grief"]})),
    )
    .await;
    let g6 = app
        .published_group(&b.token, json!({"name": "g6", "topics": ["grief"]}))
        .await;

    let before = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let after = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let cases: Vec<(String, Vec<&String>)> = vec![
        ("topic=grief".into(), vec![&g1, &g2, &g6]),
        ("topic=grief,trauma".into(), vec![&g1, &g2, &g3, &g6]),
        (
            "topic=grief,trauma&format=online,hybrid".into(),
            vec![&g1, &g2, &g6],
        ),
        ("topic=grief,trauma&format=in_person".into(), vec![&g3]),
        ("topic=grief&language=en".into(), vec![&g1, &g6]),
        ("topic=grief&language=EN".into(), vec![&g1, &g6]),
        ("language=fr,es".into(), vec![&g2, &g4]),
        (
            format!("topic=grief&organization={}", a.slug),
            vec![&g1, &g2],
        ),
        (
            format!("organization={},{}", a.slug, b.id),
            vec![&g1, &g2, &g3, &g4, &g6],
        ),
        (format!("organization={}", b.slug), vec![&g6]),
        ("accepting_new_members=false".into(), vec![&g3]),
        ("accepting_new_members=true&topic=trauma".into(), vec![&g2]),
        ("facilitation=professional".into(), vec![&g3]),
        (
            "facilitation=peer_led,co_facilitated&topic=trauma".into(),
            vec![&g2],
        ),
        ("stage=growth".into(), vec![&g4]),
        ("stage=growth,awareness&topic=anxiety".into(), vec![&g4]),
        ("support_type=informational".into(), vec![&g4]),
        ("enrollment=cohort".into(), vec![&g4]),
        ("enrollment=rolling&topic=anxiety".into(), vec![]),
        ("cost=donation".into(), vec![&g2]),
        ("cost=donation,sliding_scale".into(), vec![&g2, &g4]),
        ("cost=free&topic=grief".into(), vec![&g1, &g6]),
        ("topic=ocd".into(), vec![]),
        (
            format!("updated_since={before}"),
            vec![&g1, &g2, &g3, &g4, &g6],
        ),
        (format!("updated_since={after}"), vec![]),
        (
            "topic=grief&format=online&language=en&cost=free&facilitation=peer_led".into(),
            vec![&g1, &g6],
        ),
    ];
    let mut problems = Vec::new();
    for (query, expected) in cases {
        let mut got = app.list_ids(&query).await;
        got.sort();
        let mut expected: Vec<String> = expected.into_iter().cloned().collect();
        expected.sort();
        if got != expected {
            problems.push(format!("?{query}: got {got:?}, expected {expected:?}"));
        }
    }
    let names: HashMap<String, &str> = [
        (&g1, "g1"),
        (&g2, "g2"),
        (&g3, "g3"),
        (&g4, "g4"),
        (&g6, "g6"),
    ]
    .into_iter()
    .map(|(id, n)| (id.clone(), n))
    .collect();
    let readable: Vec<String> = problems
        .iter()
        .map(|p| {
            let mut p = p.clone();
            for (id, n) in &names {
                p = p.replace(id.as_str(), n);
            }
            p
        })
        .collect();
    assert!(
        readable.is_empty(),
        "filter mismatches:\n{}",
        readable.join("\n")
    );
}
