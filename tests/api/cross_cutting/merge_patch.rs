//! JSON Merge Patch (on groups) and versions. An organization's profile:
//! `organizations/update.rs`.

use serde_json::{json, Value};

use crate::helpers::{group_body, names_field, spawn_app};

/// The fields a write may change: everything but version and times.
fn content(g: &Value) -> Value {
    let mut g = g.clone();
    let o = g.as_object_mut().expect("a group");
    o.remove("version");
    o.remove("updated_at");
    g
}

#[tokio::test]
async fn merge_patch_clears_with_null_and_keeps_absent_fields() {
    let app = spawn_app().await;
    let org = app.org("Patchers").await;
    let created = app
        .create_group(
            &org.token,
            &group_body(json!({
                "external_id": "patch-me",
                "description": "Longer words.",
                "capacity": 12,
                "audience": ["youth"],
                "contact": {"email": "circle@example.org"},
            })),
        )
        .await;
    assert_eq!(created["version"], 1);
    let path = format!("/v1/groups/{}", created["id"].as_str().unwrap());

    // null clears an optional field; nothing else moves.
    let cleared = app
        .patch(&path, &org.token, &json!({"summary": null}))
        .await
        .expect(200);
    assert!(cleared["summary"].is_null(), "{cleared}");
    assert_eq!(cleared["version"], 2);
    let mut expected = content(&created);
    expected["summary"] = Value::Null;
    assert_eq!(content(&cleared), expected);

    // Absent fields stay, including the one cleared before.
    let renamed = app
        .patch(
            &path,
            &org.token,
            &json!({"name": "Renamed circle", "capacity": null}),
        )
        .await
        .expect(200);
    assert_eq!(renamed["name"], "Renamed circle");
    assert!(renamed["summary"].is_null());
    assert!(renamed["capacity"].is_null());
    assert_eq!(renamed["description"], "Longer words.");
    assert_eq!(renamed["audience"], json!(["youth"]));
    assert_eq!(renamed["contact"]["email"], "circle@example.org");
    assert_eq!(renamed["version"], 3);

    // Nested objects merge member by member.
    let nested = app
        .patch(
            &path,
            &org.token,
            &json!({"schedule": {"duration_minutes": 120}, "online": {"join_url": null}}),
        )
        .await
        .expect(200);
    assert_eq!(nested["schedule"]["duration_minutes"], 120);
    assert_eq!(nested["schedule"]["rrule"], created["schedule"]["rrule"]);
    assert_eq!(nested["schedule"]["timezone"], "Europe/London");
    assert!(nested["online"]["join_url"].is_null(), "{nested}");
    assert_eq!(nested["online"]["platform"], "Jitsi");
    assert_eq!(nested["version"], 4);

    // Lists are replaced whole.
    let topics = app
        .patch(
            &path,
            &org.token,
            &json!({"topics": ["grief", "loneliness"]}),
        )
        .await
        .expect(200);
    assert_eq!(topics["topics"], json!(["grief", "loneliness"]));
    assert_eq!(topics["version"], 5);

    // `application/json` is accepted for a patch too.
    let res = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&org.token)
        .json(&json!({"summary": "Back again."}))
        .send()
        .await
        .unwrap();
    let plain = crate::helpers::Reply::from(res).await.expect(200);
    assert_eq!(plain["summary"], "Back again.");
    assert_eq!(plain["version"], 6);

    // The stored state is what the patches said.
    let stored = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(stored, plain);
}

#[tokio::test]
async fn invalid_patches_change_nothing() {
    let app = spawn_app().await;
    let org = app.org("Careful").await;
    let created = app.create_group(&org.token, &group_body(json!({}))).await;
    let path = format!("/v1/groups/{}", created["id"].as_str().unwrap());
    let before = app.get_auth(&path, &org.token).await.expect(200);

    let cases: Vec<(Value, &str)> = vec![
        (json!({"topics": []}), "topics"),
        (json!({"format": "in_person"}), "location"),
        (json!({"online": null}), "online"),
        (json!({"name": null}), "name"),
        (json!({"topics": null}), "topics"),
        (json!({"name": ""}), "name"),
        (
            json!({"schedule": {"timezone": "+01:00"}}),
            "schedule.timezone",
        ),
        (
            json!({"schedule": {"rrule": "FREQ=NEVER"}}),
            "schedule.rrule",
        ),
        (json!({"cost": {"kind": "paid"}}), "cost.amount"),
        (json!({"colour": "blue"}), "colour"),
        (json!({"id": "0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f01"}), "id"),
        (json!({"version": 99}), "version"),
    ];
    let mut problems = Vec::new();
    for (patch, field) in cases {
        let reply = app.patch(&path, &org.token, &patch).await;
        if reply.status.as_u16() != 422 {
            problems.push(format!("{patch}: {} {}", reply.status, reply.text));
            continue;
        }
        let p = reply.problem(422, "validation_failed");
        if !names_field(&p, field) {
            problems.push(format!("{patch}: does not name `{field}`: {p}"));
        }
        let now = app.get_auth(&path, &org.token).await.expect(200);
        if now != before {
            problems.push(format!("{patch}: the group changed: {now}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        app.get_auth(&path, &org.token).await.expect(200)["version"],
        1
    );
}

#[tokio::test]
async fn every_successful_write_bumps_the_version() {
    let app = spawn_app().await;
    let org = app.org("Versions").await;
    let g = app
        .create_group(&org.token, &group_body(json!({"capacity": 10})))
        .await;
    assert_eq!(g["version"], 1);
    let path = format!("/v1/groups/{}", g["id"].as_str().unwrap());
    let mut last_updated = g["updated_at"].as_str().unwrap().to_owned();
    let mut check = |v: &Value, version: i64| {
        assert_eq!(v["version"], version, "{v}");
        let updated = v["updated_at"].as_str().unwrap().to_owned();
        let (a, b) = (
            chrono::DateTime::parse_from_rfc3339(&last_updated).unwrap(),
            chrono::DateTime::parse_from_rfc3339(&updated).unwrap(),
        );
        assert!(b >= a, "updated_at went back: {last_updated} -> {updated}");
        last_updated = updated;
    };

    let v2 = app
        .patch(&path, &org.token, &json!({"status": "published"}))
        .await
        .expect(200);
    check(&v2, 2);
    // PUT replaces: what is left out takes its default.
    let v3 = app
        .put(
            &path,
            &org.token,
            &group_body(json!({"name": "Replaced", "summary": null})),
        )
        .await
        .expect(200);
    check(&v3, 3);
    assert_eq!(v3["name"], "Replaced");
    assert!(v3["summary"].is_null());
    assert!(v3["capacity"].is_null(), "PUT resets capacity: {v3}");
    assert_eq!(v3["status"], "draft", "PUT resets status to the default");
    assert_eq!(v3["id"], g["id"]);
    assert_eq!(v3["created_at"], g["created_at"]);
    let v4 = app
        .patch(&path, &org.token, &json!({"accepting_new_members": false}))
        .await
        .expect(200);
    check(&v4, 4);
    // Failed writes do not count.
    app.patch(&path, &org.token, &json!({"topics": []}))
        .await
        .problem(422, "validation_failed");
    app.put(&path, &org.token, &group_body(json!({"format": "zoom"})))
        .await
        .problem(422, "validation_failed");
    let now = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(now["version"], 4);
    let v5 = app
        .patch(&path, &org.token, &json!({"accepting_new_members": true}))
        .await
        .expect(200);
    check(&v5, 5);
}
