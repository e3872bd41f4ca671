//! The README walkthrough, run as written against a spawned service.

use serde_json::Value;

use crate::helpers::{absent, spawn_app, JWT_SECRET};

/// The shell block between the walkthrough markers, without its fences.
fn walkthrough_script() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable");
    let start = readme
        .find("<!-- walkthrough:start -->")
        .expect("README.md has <!-- walkthrough:start -->");
    let end = readme
        .find("<!-- walkthrough:end -->")
        .expect("README.md has <!-- walkthrough:end -->");
    assert!(start < end, "the walkthrough markers are out of order");
    let block = &readme[start + "<!-- walkthrough:start -->".len()..end];
    let script: Vec<&str> = block
        .lines()
        .filter(|l| !l.trim_start().starts_with("```"))
        .collect();
    let script = script.join("\n");
    assert!(
        script.contains("curl"),
        "the walkthrough block looks empty: {script}"
    );
    script
}

fn assert_private_details_hidden(g: &Value, what: &str) {
    let location = &g["location"];
    assert!(
        location.is_object(),
        "{what}: the location area is shown: {g}"
    );
    assert_eq!(location["locality"], "London", "{what}: {g}");
    assert_eq!(location["country"], "GB", "{what}: {g}");
    for hidden in ["street_address", "postal_code", "latitude", "longitude"] {
        assert!(absent(location, hidden), "{what}: `{hidden}` is shown: {g}");
    }
    assert!(
        g["online"].is_null() || absent(&g["online"], "join_url"),
        "{what}: the join link is shown: {g}"
    );
    assert!(
        !g.to_string().contains("12 Cedar Road") && !g.to_string().contains("meet.jit.si"),
        "{what}: a private detail leaks: {g}"
    );
}

#[tokio::test]
async fn readme_walkthrough_runs_and_publishes_a_public_group() {
    let app = spawn_app().await;
    let script = walkthrough_script();
    let script_path = app.dir.path().join("walkthrough.sh");
    std::fs::write(&script_path, &script).expect("the script is written");

    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-euo")
        .arg("pipefail")
        .arg(&script_path)
        .current_dir(app.dir.path())
        .env("CIRCLES_URL", &app.address)
        .env("CIRCLES_BIN", env!("CARGO_BIN_EXE_circles"))
        .env("DATABASE_URL", &app.database_url)
        .env("CIRCLES_DATA_DIR", app.dir.path().join("data"))
        .env("CIRCLES_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn");
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("the script runs")
        .expect("bash starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the README walkthrough failed ({}).\n--- script ---\n{script}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );

    // The group is published and public, without its private details.
    let list = app
        .get("/v1/groups?topic=grief&language=en")
        .await
        .expect(200);
    let data = list["data"].as_array().expect("data");
    assert_eq!(data.len(), 1, "one public grief group: {list}");
    let g = &data[0];
    assert_eq!(g["name"], "Tuesday grief circle");
    assert_eq!(g["status"], "published");
    assert_eq!(g["organization"]["name"], "Friends of Ash");
    assert_private_details_hidden(g, "list");

    let id = g["id"].as_str().expect("id");
    let detail = app.get(&format!("/v1/groups/{id}")).await.expect(200);
    assert_eq!(detail["status"], "published");
    assert_eq!(detail["schedule"]["timezone"], "Europe/London");
    assert_private_details_hidden(&detail, "detail");
}
