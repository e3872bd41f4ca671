//! `circles seed`: the built binary fills fresh databases (SQLite always,
//! PostgreSQL too when `TEST_DATABASE_URL` is set) with deterministic,
//! varied synthetic data, and loads the demo directory once.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use diesel::sql_types::{Bool, Double, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{send_to, spawn_instance, test_config};

/// `GET path` on the instance at `address`: its JSON (asserting 200).
async fn get(client: &reqwest::Client, address: &str, path: &str) -> Value {
    send_to(client, address, Method::GET, path, None, None, &[])
        .await
        .expect(200)
}

/// Run `circles seed <args>` on `database_url`; returns (success, stdout, stderr).
fn circles_seed(database_url: &str, data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_circles"))
        .arg("seed")
        .args(args)
        .current_dir(data_dir)
        .env("DATABASE_URL", database_url)
        .env("CIRCLES_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the circles binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn seed_ok(database_url: &str, data_dir: &Path, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = circles_seed(database_url, data_dir, args);
    assert!(ok, "circles seed {args:?} failed: {stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("JSON summary ({e}): {stdout}"))
}

#[derive(QueryableByName)]
struct GroupLine {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Text)]
    enrollment: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Bool)]
    accepting_new_members: bool,
    #[diesel(sql_type = Nullable<Text>)]
    schedule_rrule: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    schedule_timezone: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    location_visibility: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    country: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    latitude: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    longitude: Option<f64>,
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// What a seeded database holds, in a form that does not depend on ids.
struct Seeded {
    /// One line per group (organization slug, name, topics, languages, place…), sorted.
    groups: Vec<String>,
    lines: Vec<GroupLine>,
    topics: BTreeSet<String>,
    languages: BTreeSet<String>,
    organizations: i64,
    events: i64,
    tied_events: i64,
    resources: i64,
    crisis: i64,
}

fn count(conn: &mut circles::db::DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn read(database_url: &str) -> Seeded {
    let pool = circles::db::connect(database_url, 1).expect("a pool");
    let mut conn = pool.get().expect("a connection");
    let lines: Vec<GroupLine> = diesel::sql_query(
        "SELECT g.id, o.slug, g.name, g.format, g.enrollment, g.status, g.accepting_new_members, \
         g.schedule_rrule, g.schedule_timezone, g.location_visibility, g.country, g.latitude, g.longitude \
         FROM support_groups g JOIN organizations o ON o.id = g.organization_id",
    )
    .load(&mut *conn)
    .expect("groups");
    let mut attrs: HashMap<String, Vec<String>> = HashMap::new();
    let pairs: Vec<Pair> = diesel::sql_query(
        "SELECT group_id AS a, 't:' || topic AS b FROM group_topics \
         UNION ALL SELECT group_id, 'l:' || language FROM group_languages",
    )
    .load(&mut *conn)
    .expect("attributes");
    for p in pairs {
        attrs.entry(p.a).or_default().push(p.b);
    }
    let mut groups: Vec<String> = lines
        .iter()
        .map(|g| {
            let mut a = attrs.get(&g.id).cloned().unwrap_or_default();
            a.sort();
            format!(
                "{} | {} | {} {} {} {} | {:?} {:?} | {:?} {:?} {:?} {:?} | {}",
                g.slug,
                g.name,
                g.format,
                g.enrollment,
                g.status,
                g.accepting_new_members,
                g.schedule_rrule,
                g.schedule_timezone,
                g.location_visibility,
                g.country,
                g.latitude,
                g.longitude,
                a.join(",")
            )
        })
        .collect();
    groups.sort();
    let all: Vec<String> = attrs.values().flatten().cloned().collect();
    let pick = |prefix: &str| -> BTreeSet<String> {
        all.iter()
            .filter_map(|s| s.strip_prefix(prefix).map(str::to_owned))
            .collect()
    };
    Seeded {
        topics: pick("t:"),
        languages: pick("l:"),
        groups,
        lines,
        organizations: count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM organizations WHERE slug LIKE 'syn-7-%'",
        ),
        events: count(&mut conn, "SELECT COUNT(*) AS n FROM events"),
        tied_events: count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM events WHERE group_id IS NOT NULL",
        ),
        resources: count(&mut conn, "SELECT COUNT(*) AS n FROM resources"),
        crisis: count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM resources WHERE crisis",
        ),
    }
}

fn check_variety(s: &Seeded) {
    assert_eq!(s.lines.len(), 300);
    assert_eq!(s.organizations, 12);
    assert_eq!(s.events, 60);
    assert!(s.tied_events > 0 && s.tied_events < 60, "{}", s.tied_events);
    assert_eq!(s.resources, 15);
    assert!(s.crisis >= 1, "crisis lines");
    let distinct = |f: &dyn Fn(&GroupLine) -> Option<String>| -> BTreeSet<String> {
        s.lines.iter().filter_map(f).collect()
    };
    let drafts = s.lines.iter().filter(|g| g.status == "draft").count();
    assert!((3..=40).contains(&drafts), "{drafts} drafts");
    assert!(s.lines.iter().any(|g| !g.accepting_new_members));
    let visibility: Vec<&str> = s
        .lines
        .iter()
        .filter_map(|g| g.location_visibility.as_deref())
        .collect();
    for v in ["public", "area_only", "on_request"] {
        assert!(visibility.contains(&v), "no {v} location");
    }
    assert_eq!(distinct(&|g| Some(g.format.clone())).len(), 3);
    assert_eq!(distinct(&|g| Some(g.enrollment.clone())).len(), 2);
    let countries = distinct(&|g| g.country.clone());
    assert!(countries.len() >= 6, "countries: {countries:?}");
    let zones = distinct(&|g| g.schedule_timezone.clone());
    assert!(zones.len() >= 6, "time zones: {zones:?}");
    let rules = distinct(&|g| g.schedule_rrule.clone());
    assert!(rules.iter().any(|r| r.contains("INTERVAL=2")), "{rules:?}");
    assert!(
        rules.iter().any(|r| r.starts_with("FREQ=MONTHLY")),
        "{rules:?}"
    );
    assert!(s.languages.len() >= 6, "languages: {:?}", s.languages);
    assert_eq!(s.topics.len(), 16, "topics: {:?}", s.topics);
    // Coordinates are real places: every in-person group is on land near a city.
    for g in &s.lines {
        if let (Some(lat), Some(lon)) = (g.latitude, g.longitude) {
            assert!(
                (-50.0..=60.0).contains(&lat) && (-130.0..=180.0).contains(&lon),
                "{lat},{lon}"
            );
        }
    }
}

/// A PostgreSQL database of its own, dropped at the end.
struct PgDb {
    server: String,
    name: String,
}

impl PgDb {
    fn create(server: &str) -> PgDb {
        let name = format!("circles_seed_{}", uuid::Uuid::new_v4().simple());
        let mut conn = diesel::PgConnection::establish(server).expect("PostgreSQL server");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .expect("CREATE DATABASE");
        PgDb {
            server: server.to_owned(),
            name,
        }
    }
    fn url(&self) -> String {
        let mut url = url::Url::parse(&self.server).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{}", self.name));
        url.to_string()
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.server) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

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

#[tokio::test]
async fn seed_demo_loads_once() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("demo.db").to_string_lossy().into_owned();
    let summary = seed_ok(&db, dir.path(), &["--demo"]);
    assert_eq!(summary["organizations"], 4, "{summary}");
    assert!(summary["groups"].as_u64().unwrap() >= 12, "{summary}");
    assert!(summary["events"].as_u64().unwrap() >= 2, "{summary}");
    assert!(
        summary["crisis_resources"].as_u64().unwrap() >= 1,
        "{summary}"
    );

    let (ok, stdout, stderr) = circles_seed(&db, dir.path(), &["--demo"]);
    assert!(ok, "a second --demo succeeds: {stderr}");
    assert!(stderr.contains("already loaded"), "{stderr}");
    let again: Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(again["already_loaded"], true);
    assert_eq!(again["groups"], 0);

    let pool = circles::db::connect(&db, 1).expect("a pool");
    let mut conn = pool.get().expect("a connection");
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS n FROM support_groups"),
        summary["groups"].as_i64().unwrap()
    );
    // Synthetic data goes beside the demo.
    let summary = seed_ok(&db, dir.path(), &["--synthetic", "30", "--seed", "7"]);
    assert_eq!(summary["organizations"], 3, "{summary}");

    // Neither option, or both, is a usage error.
    assert!(!circles_seed(&db, dir.path(), &[]).0);
    assert!(!circles_seed(&db, dir.path(), &["--demo", "--synthetic", "5"]).0);
}
