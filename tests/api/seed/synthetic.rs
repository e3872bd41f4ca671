//! `circles seed --synthetic`: deterministic, varied and readable.

use crate::helpers::{spawn_instance, test_config};

use super::support::{check_variety, circles_seed, count, get, read, seed_ok, PgDb};

#[tokio::test]
async fn seed_synthetic_is_deterministic_varied_and_readable() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = dir.path().join("first.db").to_string_lossy().into_owned();
    let second = dir.path().join("second.db").to_string_lossy().into_owned();
    let args = ["--synthetic", "300", "--seed", "7"];

    let summary = seed_ok(&first, dir.path(), &args);
    assert_eq!(summary["groups"], 300, "{summary}");
    assert_eq!(summary["events"], 60, "{summary}");
    assert_eq!(summary["resources"], 15, "{summary}");
    assert_eq!(summary["organizations"], 12, "{summary}");
    assert!(summary["elapsed_seconds"].is_number(), "{summary}");
    seed_ok(&format!("sqlite://{second}"), dir.path(), &args);

    let a = read(&first);
    let b = read(&second);
    check_variety(&a);
    assert_eq!(a.groups, b.groups, "the same seed gives the same groups");

    // Another seed gives other content.
    let other = dir.path().join("other.db").to_string_lossy().into_owned();
    seed_ok(&other, dir.path(), &["--synthetic", "300", "--seed", "8"]);
    assert_ne!(read(&other).groups.len(), 0);
    assert_ne!(
        read(&other)
            .groups
            .iter()
            .map(|l| l.split_once(" | ").unwrap().1.to_owned())
            .collect::<Vec<_>>(),
        a.groups
            .iter()
            .map(|l| l.split_once(" | ").unwrap().1.to_owned())
            .collect::<Vec<_>>()
    );

    // Seeding the same seed into the same database again fails clearly.
    let (ok, _, stderr) = circles_seed(&first, dir.path(), &args);
    assert!(!ok);
    assert!(
        stderr.contains("already") && stderr.contains("syn-7-"),
        "{stderr}"
    );

    // PostgreSQL gets exactly the same content.
    if let Some(server) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        let db = PgDb::create(&server);
        seed_ok(&db.url(), dir.path(), &args);
        let pg = read(&db.url());
        check_variety(&pg);
        assert_eq!(
            pg.groups, a.groups,
            "PostgreSQL and SQLite hold the same groups"
        );
    }

    // The API serves the seeded directory.
    let address = spawn_instance(test_config(first.clone(), dir.path().to_path_buf()));
    let client = reqwest::Client::new();
    let page = get(&client, &address, "/v1/groups?limit=100").await;
    let data = page["data"].as_array().expect("data");
    assert_eq!(data.len(), 100, "{page}");
    assert!(data.iter().all(|g| g["status"] == "published"));
    assert!(page["next_cursor"].is_string());
    let resources = get(&client, &address, "/v1/resources?limit=100").await;
    assert_eq!(
        resources["data"][0]["crisis"], true,
        "crisis lines come first: {resources}"
    );

    // The full-text index holds the seeded listings (the bulk load sets its
    // triggers aside and indexes everything at the end) and its triggers
    // are back for later writes.
    let name = data[0]["name"].as_str().unwrap();
    let word = name
        .split(|c: char| !c.is_alphabetic())
        .find(|w| w.len() >= 5)
        .unwrap_or_else(|| panic!("a word in {name:?}"));
    let found = get(
        &client,
        &address,
        &format!("/v1/groups?q={word}&include_total=true"),
    )
    .await;
    assert!(found["total"].as_i64().unwrap() >= 1, "{word}: {found}");
    assert_eq!(found["data"][0]["relevance"], 3.0, "{word}: {found}");
    let mut conn = circles::db::connect(&first, 1)
        .expect("a pool")
        .get()
        .expect("a connection");
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' \
             AND name IN ('support_groups_fts', 'events_fts', 'resources_fts')"
        ),
        3
    );
    for (fts, table) in [
        ("group_fts", "support_groups"),
        ("resource_fts", "resources"),
    ] {
        assert_eq!(
            count(&mut conn, &format!("SELECT COUNT(*) AS n FROM {fts}")),
            count(
                &mut conn,
                &format!(
                    "SELECT COUNT(*) AS n FROM {table} WHERE status = 'published' AND deleted_at IS NULL"
                )
            ),
            "{fts} holds every published listing"
        );
    }
}
