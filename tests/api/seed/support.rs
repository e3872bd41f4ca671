//! Running `circles seed` and reading what it wrote.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use diesel::sql_types::{Bool, Double, Nullable, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::send_to;

/// `GET path` on the instance at `address`: its JSON (asserting 200).
pub async fn get(client: &reqwest::Client, address: &str, path: &str) -> Value {
    send_to(client, address, Method::GET, path, None, None, &[])
        .await
        .expect(200)
}

/// Run `circles seed <args>` on `database_url`; returns (success, stdout, stderr).
pub fn circles_seed(database_url: &str, data_dir: &Path, args: &[&str]) -> (bool, String, String) {
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

pub fn seed_ok(database_url: &str, data_dir: &Path, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = circles_seed(database_url, data_dir, args);
    assert!(ok, "circles seed {args:?} failed: {stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("JSON summary ({e}): {stdout}"))
}

#[derive(QueryableByName)]
pub struct GroupLine {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub format: String,
    #[diesel(sql_type = Text)]
    pub enrollment: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Bool)]
    pub accepting_new_members: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub schedule_rrule: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub schedule_timezone: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub location_visibility: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub country: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub latitude: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub longitude: Option<f64>,
}

#[derive(QueryableByName)]
pub struct Pair {
    #[diesel(sql_type = Text)]
    pub a: String,
    #[diesel(sql_type = Text)]
    pub b: String,
}

#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

/// What a seeded database holds, in a form that does not depend on ids.
pub struct Seeded {
    /// One line per group (organization slug, name, topics, languages, place…), sorted.
    pub groups: Vec<String>,
    pub lines: Vec<GroupLine>,
    pub topics: BTreeSet<String>,
    pub languages: BTreeSet<String>,
    pub organizations: i64,
    pub events: i64,
    pub tied_events: i64,
    pub resources: i64,
    pub crisis: i64,
}

pub fn count(conn: &mut circles::db::DbConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

pub fn read(database_url: &str) -> Seeded {
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

pub fn check_variety(s: &Seeded) {
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
pub struct PgDb {
    pub server: String,
    pub name: String,
}

impl PgDb {
    pub fn create(server: &str) -> PgDb {
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
    pub fn url(&self) -> String {
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
