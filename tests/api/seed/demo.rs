//! `circles seed --demo`: loads the demo directory once.

use serde_json::Value;

use super::support::{circles_seed, count, seed_ok};

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
