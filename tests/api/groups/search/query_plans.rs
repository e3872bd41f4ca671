//! Every search shape is index-driven (the query plans on both backends).

use chrono::{NaiveDate, Utc};
use circles::vocab::Topic;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, Rng};

use super::generator::{generate, G};

#[tokio::test]
async fn every_search_shape_is_index_driven() {
    use circles::geo::Near;
    use circles::groups::search::{explain, GroupSearch, GroupSort, MeetsWhen};
    use circles::pagination::{Cursor, PageRequest};
    use circles::search::Keywords;
    use circles::vocab::Format;

    let app = spawn_app().await;
    let org = app.org("Plan Makers").await;
    let mut rng = Rng::new(7);
    // Enough rows for the planners' choices to mean something. (With up
    // to a few thousand groups PostgreSQL still prefers walking the
    // published groups and filtering `@@` over the GIN index; the plan is
    // printed, not asserted.)
    let groups = generate(&mut rng, 2000);
    for chunk in groups.chunks(1000) {
        let batch: Vec<Value> = chunk.iter().map(G::body).collect();
        app.post("/v1/sync/groups", &org.token, &json!({ "upsert": batch }))
            .await
            .expect(200);
    }

    let kw = |q: &str| Keywords::parse(q).unwrap();
    let near = |r: f64| Some(Near::parse("51.5074,-0.1278", Some(r)).unwrap());
    let base = GroupSearch::default;
    let shapes: Vec<(&str, GroupSearch, Option<Cursor>)> = vec![
        ("default (created)", base(), None),
        (
            "created, page 2",
            base(),
            Some(Cursor::after("01900000-0000-7000-8000-000000000000")),
        ),
        (
            "q (relevance)",
            GroupSearch {
                keywords: kw("lantern"),
                ..base()
            },
            None,
        ),
        (
            "q two words + prefix",
            GroupSearch {
                keywords: kw("harbor lan"),
                ..base()
            },
            None,
        ),
        (
            "q, sort=name",
            GroupSearch {
                keywords: kw("river"),
                sort: Some(GroupSort::Name),
                ..base()
            },
            None,
        ),
        (
            "near (distance)",
            GroupSearch {
                near: near(10.0),
                ..base()
            },
            None,
        ),
        (
            "near 500 km",
            GroupSearch {
                near: near(500.0),
                ..base()
            },
            None,
        ),
        (
            "near + include_online",
            GroupSearch {
                near: near(10.0),
                include_online: true,
                ..base()
            },
            None,
        ),
        (
            "near + q",
            GroupSearch {
                near: near(25.0),
                keywords: kw("garden"),
                ..base()
            },
            None,
        ),
        (
            "sort=name",
            GroupSearch {
                sort: Some(GroupSort::Name),
                ..base()
            },
            None,
        ),
        (
            "sort=name, page 2",
            GroupSearch {
                sort: Some(GroupSort::Name),
                ..base()
            },
            Some(Cursor {
                after_id: "01900000-0000-7000-8000-000000000000".into(),
                key: Some("m".into()),
                sort: Some("name".into()),
            }),
        ),
        (
            "sort=updated",
            GroupSearch {
                sort: Some(GroupSort::Updated),
                ..base()
            },
            None,
        ),
        (
            "sort=next_meeting",
            GroupSearch {
                sort: Some(GroupSort::NextMeeting),
                ..base()
            },
            None,
        ),
        (
            "topic",
            GroupSearch {
                topics: Some(vec![Topic::Grief]),
                ..base()
            },
            None,
        ),
        (
            "format",
            GroupSearch {
                formats: Some(vec![Format::Online]),
                ..base()
            },
            None,
        ),
        (
            "language",
            GroupSearch {
                languages: Some(vec!["es".into()]),
                ..base()
            },
            None,
        ),
        (
            "organization",
            GroupSearch {
                organizations: Some(vec![org.slug.clone()]),
                ..base()
            },
            None,
        ),
        (
            "day + time",
            GroupSearch {
                meets: MeetsWhen::parse(Some("mon,wed"), Some("18:00"), Some("21:00")).unwrap(),
                ..base()
            },
            None,
        ),
        (
            "timezone",
            GroupSearch {
                timezone: Some("Asia/Tokyo".into()),
                ..base()
            },
            None,
        ),
        (
            "starts_before",
            GroupSearch {
                starts_between: Some((
                    Utc::now().date_naive(),
                    NaiveDate::from_ymd_opt(2028, 3, 1).unwrap(),
                )),
                ..base()
            },
            None,
        ),
    ];
    let mut conn = app.pool.get().expect("a connection");
    let mut failures = Vec::new();
    // SQLite as the service runs it, then with statistics; PostgreSQL with
    // statistics (autovacuum gathers them in production) and sequential
    // scans off, so that small tables still show which index a shape can use.
    let passes: &[(&str, &str)] = match app.backend {
        Backend::Sqlite => &[("no statistics", ""), ("after ANALYZE", "ANALYZE")],
        Backend::Postgres => &[(
            "after ANALYZE, enable_seqscan off",
            "ANALYZE; SET enable_seqscan = off",
        )],
    };
    for (pass, setup) in passes {
        if !setup.is_empty() {
            use diesel::connection::SimpleConnection;
            conn.batch_execute(setup).unwrap();
        }
        for (what, search, cursor) in &shapes {
            let page = PageRequest {
                limit: 20,
                cursor: cursor.clone(),
            };
            let plan =
                explain(&mut conn, search, &page).unwrap_or_else(|e| panic!("{what}: {e:?}"));
            println!("--- {what} ({:?}, {pass})", app.backend);
            for line in &plan {
                println!("    {line}");
            }
            // The index each backend must pick for the shapes that have one
            // obvious index (others only must not scan the table).
            let wanted = match (app.backend, *what) {
                (Backend::Sqlite, w) if w.starts_with("q") => Some("VIRTUAL TABLE"),
                (Backend::Sqlite, "sort=name" | "sort=name, page 2") => {
                    Some("support_groups_by_name")
                }
                (Backend::Sqlite, "sort=next_meeting") => Some("support_groups_by_next_meeting"),
                (Backend::Postgres, "near (distance)" | "near + q") => Some("support_groups_geo"),
                (Backend::Postgres, "sort=name" | "sort=name, page 2") => {
                    Some("support_groups_by_name")
                }
                (Backend::Postgres, "sort=next_meeting") => Some("support_groups_by_next_meeting"),
                _ => None,
            };
            if let Some(index) = wanted {
                if !plan.iter().any(|l| l.contains(index)) {
                    failures.push(format!("{what} ({pass}) does not use {index}"));
                }
            }
            // `include_online` adds every online group, a third of the
            // directory here: after ANALYZE, SQLite rightly prefers one pass
            // over the table to a third of it read through an index.
            let whole_share = *what == "near + include_online" && !setup.is_empty();
            let ok = match app.backend {
                Backend::Sqlite if whole_share => true,
                Backend::Sqlite => plan.iter().all(|l| {
                    let l = l.trim();
                    !(l == "SCAN g"
                        || l.starts_with("SCAN g ")
                        || l.starts_with("SCAN support_groups"))
                        || l.contains("USING INDEX")
                        || l.contains("USING COVERING INDEX")
                }),
                Backend::Postgres => {
                    plan.iter()
                        .all(|l| !l.contains("Seq Scan on support_groups"))
                        && plan
                            .iter()
                            .any(|l| l.contains("Index") || l.contains("Bitmap"))
                }
            };
            if !ok {
                failures.push(format!("{what} ({pass}):\n{}", plan.join("\n")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "full scans of support_groups:\n{}",
        failures.join("\n\n")
    );
}
