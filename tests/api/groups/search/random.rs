//! The property test: random searches over a few thousand generated groups
//! match a brute-force evaluation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use circles::vocab::{Topic, Vocabulary};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Rng};

use super::generator::{
    generate, haversine, shown_distance, G, ORG_NAMES, OTHER_WORDS, PREFIXES, WORDS,
};
use super::oracle::{random_query, time, walk, Seen, Q, STOP};

#[tokio::test]
async fn random_searches_match_a_brute_force_evaluation() {
    let started = Instant::now();
    let app = spawn_app().await;
    let mut orgs = Vec::new();
    for name in ORG_NAMES {
        orgs.push(app.org(name).await);
    }
    let org_keys: Vec<(String, String)> = orgs
        .iter()
        .map(|o| (o.id.clone(), o.slug.clone()))
        .collect();

    // The vocabulary's assumptions: no searched word or prefix can match a
    // topic label's word, a non-searched word, or a stop word.
    let mut foreign: Vec<String> = Topic::all()
        .iter()
        .flat_map(|t| {
            t.label()
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    foreign.extend(OTHER_WORDS.iter().map(|w| w.to_lowercase()));
    foreign.extend(["and", "more", "uber", "aero", "elan", "zoe", "angstrom"].map(String::from));
    for w in WORDS.iter().chain(PREFIXES) {
        assert!(w.len() >= 3 && !STOP.contains(w), "{w}");
        for f in &foreign {
            assert!(
                !f.starts_with(w),
                "`{w}` could match the foreign word `{f}`"
            );
        }
    }

    let mut rng = Rng::new(0x00d1_5c0e_5eed);
    let n = 2400;
    let mut groups = generate(&mut rng, n);
    for g in groups.iter_mut() {
        // Every organization's batch stays within the sync limit.
        g.org = (g.ext[1..].parse::<usize>().unwrap()) * ORG_NAMES.len() / n;
    }
    for (i, org) in orgs.iter().enumerate() {
        let batch: Vec<Value> = groups.iter().filter(|g| g.org == i).map(G::body).collect();
        assert!(batch.len() <= 1000);
        let answer = app
            .post("/v1/sync/groups", &org.token, &json!({ "upsert": batch }))
            .await
            .expect(200);
        assert_eq!(
            answer["counts"]["created"],
            batch.len(),
            "every group is created: {}",
            answer["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["outcome"] != "created")
                .cloned()
                .unwrap_or_default()
        );
    }
    let seeded = started.elapsed();

    // What the server holds: every published group once, with the first
    // meeting the model expects.
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for item in app.list_all("").await {
        let ext = item["external_id"].as_str().unwrap().to_owned();
        let g = groups.iter().find(|g| g.ext == ext).unwrap();
        assert!(g.published(), "{ext} is {}, yet listed", g.status);
        let expected = g
            .next_meeting()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        let got = item["next_meeting_at"]
            .as_str()
            .map(|s| time(&json!(s)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        assert_eq!(
            got, expected,
            "{ext}: next_meeting_at; {:?} {:?}",
            g.schedule, g.cohort
        );
        let prev = seen.insert(
            ext,
            Seen {
                id: item["id"].as_str().unwrap().to_owned(),
                updated_at: time(&item["updated_at"]),
            },
        );
        assert!(prev.is_none(), "a group listed twice");
    }
    let published = groups.iter().filter(|g| g.published()).count();
    assert_eq!(seen.len(), published, "every published group is listed");
    let id_of = |g: &G| seen[&g.ext].id.clone();
    let by_id: HashMap<String, &G> = groups
        .iter()
        .filter(|g| g.published())
        .map(|g| (id_of(g), g))
        .collect();

    // Each word and prefix once: the server finds what the model expects.
    for w in WORDS.iter().chain(PREFIXES) {
        let q = Q {
            q: Some(w.to_string()),
            ..Q::default()
        };
        let today = Utc::now().date_naive();
        let expected = groups
            .iter()
            .filter(|g| q.matches(g, today).is_some())
            .count();
        let page = app
            .get(&format!("/v1/groups?q={w}&include_total=true&limit=1"))
            .await
            .expect(200);
        assert_eq!(page["total"], expected, "q={w}: the total");
        assert!(expected > 0, "q={w} finds something");
    }

    let mut requests = 0;
    let mut slow = Vec::new();
    let mut big = 0;
    let mut empty = 0;
    let mut shapes: BTreeMap<&str, usize> = BTreeMap::new();
    let queries = 100;
    for i in 0..queries {
        // Responses cost about a millisecond a group (debug builds): walk
        // at most a few queries that match most of the directory.
        let today = Utc::now().date_naive();
        let (mut q, mut expected) = loop {
            let q = random_query(&mut rng, &groups, &org_keys);
            let expected: Vec<(&G, Option<f64>)> = groups
                .iter()
                .filter_map(|g| q.matches(g, today).map(|d| (g, d)))
                .collect();
            if expected.len() <= 300 {
                break (q, expected);
            }
            if big < 3 {
                big += 1;
                break (q, expected);
            }
        };
        // Keep the walks short.
        q.limit = q.limit.max(expected.len().div_ceil(25)).min(100);
        let qs = q.query_string();
        let sort = q.effective_sort();
        let key_id = |g: &G| id_of(g);
        match sort {
            "distance" => expected.sort_by(|a, b| {
                let da = a.1.unwrap_or(1.0e9);
                let db = b.1.unwrap_or(1.0e9);
                da.total_cmp(&db)
                    .then_with(|| key_id(a.0).cmp(&key_id(b.0)))
            }),
            "next_meeting" => expected.sort_by(|a, b| {
                let ka = a.0.next_meeting().unwrap_or(DateTime::<Utc>::MAX_UTC);
                let kb = b.0.next_meeting().unwrap_or(DateTime::<Utc>::MAX_UTC);
                ka.cmp(&kb).then_with(|| key_id(a.0).cmp(&key_id(b.0)))
            }),
            "name" => expected.sort_by(|a, b| {
                a.0.name
                    .to_lowercase()
                    .cmp(&b.0.name.to_lowercase())
                    .then_with(|| key_id(a.0).cmp(&key_id(b.0)))
            }),
            "updated" => expected.sort_by(|a, b| {
                let ka = seen[&a.0.ext].updated_at;
                let kb = seen[&b.0.ext].updated_at;
                kb.cmp(&ka).then_with(|| key_id(b.0).cmp(&key_id(a.0)))
            }),
            _ => expected.sort_by_key(|a| key_id(a.0)),
        }
        let t0 = Instant::now();
        let (items, first, pages) = walk(&app, &qs, q.limit).await;
        slow.push((t0.elapsed(), pages, qs.clone()));
        *shapes.entry(sort).or_insert(0) += 1;
        if expected.is_empty() {
            empty += 1;
        }
        requests += pages;
        let got: Vec<String> = items
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect();
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "query {i} `{qs}`: an item twice");
        let want: Vec<String> = expected.iter().map(|(g, _)| id_of(g)).collect();
        let describe = |got: &[String], want: &[String]| {
            let g: HashSet<&String> = got.iter().collect();
            let w: HashSet<&String> = want.iter().collect();
            let extra: Vec<String> = g
                .difference(&w)
                .take(3)
                .map(|id| {
                    format!(
                        "{id} {:?}",
                        by_id.get(*id).map(|g| (&g.name, &g.place, &g.schedule))
                    )
                })
                .collect();
            let missing: Vec<String> = w
                .difference(&g)
                .take(3)
                .map(|id| {
                    format!(
                        "{id} {:?}",
                        by_id
                            .get(*id)
                            .map(|g| (&g.name, &g.place, &g.schedule, &g.cohort))
                    )
                })
                .collect();
            format!(
                "got {} expected {}; unexpected {extra:?}; missing {missing:?}",
                got.len(),
                want.len()
            )
        };
        let tolerant = app.backend == Backend::Postgres && sort == "distance";
        if sort == "relevance" {
            let g: BTreeSet<&String> = got.iter().collect();
            let w: BTreeSet<&String> = want.iter().collect();
            assert!(g == w, "query {i} `{qs}`: {}", describe(&got, &want));
            let words = q.words();
            for item in &items {
                let g = by_id[item["id"].as_str().unwrap()];
                assert_eq!(
                    item["relevance"].as_f64(),
                    Some(g.tier(&words) as f64),
                    "query {i} `{qs}`: the tier of {:?} {:?}",
                    g.name,
                    g.summary
                );
            }
            // Best tier first; within a tier, in the order groups were listed.
            for pair in items.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let ra = a["relevance"].as_f64().expect("relevance");
                let rb = b["relevance"].as_f64().expect("relevance");
                let (ca, cb) = (a["created_at"].as_str(), b["created_at"].as_str());
                let (ca, cb) = (
                    DateTime::parse_from_rfc3339(ca.unwrap()).unwrap(),
                    DateTime::parse_from_rfc3339(cb.unwrap()).unwrap(),
                );
                assert!(
                    ra > rb || (ra == rb && ca <= cb),
                    "query {i} `{qs}`: relevance order {ra} {} then {rb} {}",
                    a["id"],
                    b["id"]
                );
            }
        } else if tolerant {
            // PostgreSQL computes the distance in SQL: allow a last-bit
            // difference at the radius and between near-equal distances.
            let exact: HashMap<String, Option<f64>> =
                expected.iter().map(|(g, d)| (id_of(g), *d)).collect();
            let g: BTreeSet<&String> = got.iter().collect();
            let w: BTreeSet<&String> = want.iter().collect();
            for id in g.symmetric_difference(&w) {
                let gg = by_id[*id];
                let (lat, lon) = q.near.unwrap();
                let (plat, plon) = gg.placement().expect("a placed group");
                let d = haversine(lat, lon, plat, plon);
                assert!(
                    (d - q.radius_km()).abs() < 1e-9,
                    "query {i} `{qs}`: {}",
                    describe(&got, &want)
                );
            }
            let key = |id: &String| exact.get(id).copied().flatten().unwrap_or(1.0e9);
            for pair in got.windows(2) {
                let (da, db) = (key(&pair[0]), key(&pair[1]));
                assert!(
                    da < db - 1e-9 || ((da - db).abs() <= 1e-9 && (da != db || pair[0] < pair[1])),
                    "query {i} `{qs}`: distance order {da} {} then {db} {}",
                    pair[0],
                    pair[1]
                );
            }
        } else {
            assert!(
                got == want,
                "query {i} `{qs}` ({sort}): {}",
                describe(&got, &want)
            );
        }

        // Fields that come with the search.
        let dist: HashMap<String, Option<f64>> =
            expected.iter().map(|(g, d)| (id_of(g), *d)).collect();
        for item in &items {
            let id = item["id"].as_str().unwrap();
            if sort == "relevance" {
                assert!(item["relevance"].is_number(), "`{qs}`: relevance");
            } else {
                assert!(
                    item.get("relevance").is_none(),
                    "`{qs}`: relevance when not sorted by it"
                );
            }
            match q.near {
                None => assert!(item.get("distance_km").is_none(), "`{qs}`: distance"),
                Some(_) => match dist.get(id).copied().flatten() {
                    None => assert!(
                        item["distance_km"].is_null() && item["format"] == "online",
                        "`{qs}`: {item}"
                    ),
                    Some(d) => {
                        let vis = by_id[id].place.as_ref().unwrap().visibility;
                        let shown = item["distance_km"].as_f64().expect("a distance");
                        let ok = [d, d + 1e-9, d - 1e-9]
                            .iter()
                            .any(|d| (shown_distance(*d, vis) - shown).abs() < 1e-9);
                        assert!(ok, "`{qs}`: {id} ({vis}) shows {shown} for {d} km");
                        if vis == "on_request" {
                            assert!(shown >= 1.0 && shown.fract() == 0.0, "{shown}");
                        }
                    }
                },
            }
        }

        // Totals and facets, on a fresh first page.
        if q.extras {
            let page = app
                .get(&format!(
                    "/v1/groups?{qs}&include_total=true&facets=topic,format,language"
                ))
                .await
                .expect(200);
            requests += 1;
            assert_eq!(page["data"], first["data"], "`{qs}`: the same first page");
            assert_eq!(page["total"], expected.len(), "`{qs}`: total");
            let mut facets: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
            for (g, _) in &expected {
                for t in &g.topics {
                    *facets
                        .entry("topic")
                        .or_default()
                        .entry(t.to_string())
                        .or_default() += 1;
                }
                *facets
                    .entry("format")
                    .or_default()
                    .entry(g.format.to_string())
                    .or_default() += 1;
                for l in &g.languages {
                    *facets
                        .entry("language")
                        .or_default()
                        .entry(l.to_string())
                        .or_default() += 1;
                }
            }
            for f in ["topic", "format", "language"] {
                let want = json!(facets.get(f).cloned().unwrap_or_default());
                assert_eq!(page["facets"][f], want, "`{qs}`: facet {f}");
            }
        } else {
            assert!(first.get("total").is_none() && first.get("facets").is_none());
        }
    }
    slow.sort();
    for s in slow.iter().rev().take(5) {
        println!("slowest: {:.1?} for {} pages of `{}`", s.0, s.1, s.2);
    }
    println!("sorts: {shapes:?}; {empty} queries matched nothing");
    println!(
        "discovery property test on {:?}: {n} groups seeded in {:.1?}, {queries} queries ({requests} requests) in {:.1?}",
        app.backend,
        seeded,
        started.elapsed() - seeded
    );
}
