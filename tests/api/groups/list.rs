//! The group list (`GET /v1/groups`): filters combine with AND, commas mean
//! any of.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{group_body, in_person_body, spawn_app};

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
