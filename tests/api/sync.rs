//! Sync: upsert by the partner's own `external_id`
//! (`PUT /v1/{groups|events|resources}/by-external-id/{external_id}`) and
//! bulk sync (`POST /v1/sync/{groups|events|resources}`), with what each
//! does to the change feed.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    event_body, group_body, in_person_body, merge, names_field, resource_body, spawn_app, Org,
    TestApp,
};

/// One kind of listing, as the sync routes see it.
struct Kind {
    /// Path segment: `groups`, `events`, `resources`.
    plural: &'static str,
    /// Change-feed type: `group`, `event`, `resource`.
    feed_type: &'static str,
    /// A full, published, rich body (no `external_id`).
    body: fn() -> Value,
    /// A change to that body.
    change: fn() -> Value,
    /// An invalid body and the field its problem names.
    invalid: fn() -> (Value, &'static str),
}

/// Rich bodies: every normalization the service does (language tags,
/// sorted lists, trimmed names, coordinates, decimal amounts) must still let
/// the same body compare equal the second time.
fn rich_group() -> Value {
    in_person_body(json!({
        "name": "  Wednesday carers' circle  ",
        "topics": ["caregiving", "anxiety", "caregiving"],
        "facilitation": "co_facilitated",
        "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=WE", "starts_at": "2030-01-02T18:30:00",
                     "timezone": "Europe/London", "duration_minutes": 90},
        "recovery_stages": ["rebuilding", "awareness"],
        "support_types": ["informational", "emotional"],
        "languages": ["EN-gb", "cy", "en-GB"],
        "audience": ["family members", "carers"],
        "content_notes": ["illness", "loss"],
        "cost": {"kind": "sliding_scale", "amount": "12.50", "currency": "GBP"},
        "capacity": 14,
        "accessibility": "Step-free access; hearing loop.",
        "confidentiality_policy": "What is said here stays here.",
        "anonymous_participation": true,
        "contact": {"email": "circle@example.org", "phone": "+44 20 7946 0001"},
        "status": "published"
    }))
}

fn rich_event() -> Value {
    event_body(json!({
        "name": "Monthly open evening",
        "topics": ["general", "depression"],
        "starts_at": "2030-02-05T18:00:00",
        "ends_at": "2030-02-05T20:00:00",
        "timezone": "Europe/Berlin",
        "rrule": "FREQ=MONTHLY;BYDAY=1TU;COUNT=10",
        "exdates": ["2030-05-07T18:00:00", "2030-03-05T18:00:00"],
        "cost": {"kind": "donation"},
        "capacity": 40,
        "registration_url": "https://example.org/register",
        "listing_status": "published"
    }))
}

fn rich_resource() -> Value {
    resource_body(json!({
        "name": "Night line",
        "url": "https://nightline.example.org/",
        "kind": "hotline",
        "topics": ["general", "anxiety"],
        "languages": ["EN", "pt-br"],
        "crisis": true,
        "phone": "+44 20 7946 0000",
        "country": "GB",
        "status": "published"
    }))
}

const KINDS: [Kind; 3] = [
    Kind {
        plural: "groups",
        feed_type: "group",
        body: rich_group,
        change: || json!({"name": "Wednesday carers' circle (new room)", "capacity": 16}),
        invalid: || (json!({"format": "teleport"}), "format"),
    },
    Kind {
        plural: "events",
        feed_type: "event",
        body: rich_event,
        change: || json!({"name": "Monthly open evening (moved)", "capacity": 30}),
        invalid: || (json!({"timezone": "+02:00"}), "timezone"),
    },
    Kind {
        plural: "resources",
        feed_type: "resource",
        body: rich_resource,
        change: || json!({"summary": "Open every night from 6pm to 6am."}),
        invalid: || (json!({"kind": "pamphlet"}), "kind"),
    },
];

fn with(mut body: Value, patch: Value) -> Value {
    merge(&mut body, &patch);
    body
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// PUT by external id twice: 201 then 200 with nothing changed and no feed
/// entry; a changed body: version + 1 and one entry; a body naming another
/// external id: 422.
async fn upsert_round(app: &TestApp, org: &Org, other: &Org, kind: &Kind) {
    let k = kind.plural;
    let ext = format!("{k}-ext-1");
    let path = format!("/v1/{k}/by-external-id/{ext}");
    let start = app.feed_end().await;

    let first = app.put(&path, &org.token, &(kind.body)()).await;
    let created = first.expect(201);
    let id = s(&created["id"]);
    assert_eq!(
        first.header("location").as_deref(),
        Some(format!("/v1/{k}/{id}").as_str()),
        "{k}: Location of the created listing"
    );
    assert_eq!(created["external_id"], ext.as_str(), "{k}: {created}");
    assert_eq!(created["version"], 1, "{k}: {created}");
    let etag = first
        .header("etag")
        .expect("a write answer carries an ETag");
    assert!(etag.starts_with("\"1-"), "{k}: strong ETag, got {etag}");

    let (entries, after_create) = app.feed_since(Some(&start), 100).await;
    assert_eq!(
        entries.len(),
        1,
        "{k}: one feed entry after create: {entries:?}"
    );
    assert_eq!(entries[0]["type"], kind.feed_type);
    assert_eq!(entries[0]["id"], id.as_str());
    assert_eq!(entries[0]["action"], "upsert");
    let public = app.get(&format!("/v1/{k}/{id}")).await.expect(200);
    assert_eq!(
        entries[0]["data"], public,
        "{k}: the feed shows the public view"
    );

    // The same body again, with and without external_id in it: unchanged.
    for (what, body) in [
        ("same body", (kind.body)()),
        (
            "same body naming the same external_id",
            with((kind.body)(), json!({"external_id": ext})),
        ),
    ] {
        let again = app.put(&path, &org.token, &body).await;
        let same = again.expect(200);
        assert_eq!(same["id"], id.as_str(), "{k}, {what}");
        assert_eq!(
            same["version"], created["version"],
            "{k}, {what}: an identical upsert must not bump the version"
        );
        assert_eq!(
            same["updated_at"], created["updated_at"],
            "{k}, {what}: an identical upsert must not touch updated_at"
        );
        assert_eq!(same, created, "{k}, {what}: the same listing comes back");
        assert!(
            again.header("location").is_none(),
            "{k}: no Location on 200"
        );
    }
    let (entries, _) = app.feed_since(Some(&after_create), 100).await;
    assert!(
        entries.is_empty(),
        "{k}: an unchanged upsert must not add a change-feed entry: {entries:?}"
    );
    let (all, _) = app.feed_since(Some(&start), 100).await;
    assert_eq!(all.len(), 1, "{k}: still exactly one entry: {all:?}");

    // A changed body: 200, version 2, one more entry.
    let changed_body = with((kind.body)(), (kind.change)());
    let changed = app.put(&path, &org.token, &changed_body).await.expect(200);
    assert_eq!(changed["id"], id.as_str());
    assert_eq!(changed["version"], 2, "{k}: {changed}");
    for (field, value) in (kind.change)().as_object().unwrap() {
        assert_eq!(&changed[field], value, "{k}: `{field}` after the change");
    }
    let t0 = chrono::DateTime::parse_from_rfc3339(&s(&created["updated_at"])).unwrap();
    let t1 = chrono::DateTime::parse_from_rfc3339(&s(&changed["updated_at"])).unwrap();
    assert!(t1 >= t0, "{k}: updated_at moves forward");
    let (entries, after_change) = app.feed_since(Some(&after_create), 100).await;
    assert_eq!(
        entries.len(),
        1,
        "{k}: one entry for the change: {entries:?}"
    );
    assert_eq!(entries[0]["id"], id.as_str());
    assert_eq!(entries[0]["data"]["version"], 2);
    // And the changed body again is unchanged.
    let again = app.put(&path, &org.token, &changed_body).await.expect(200);
    assert_eq!(again["version"], 2, "{k}: resending the change");
    assert_eq!(again["updated_at"], changed["updated_at"]);

    // external_id in the body differing from the path: 422, nothing written.
    let clash = app
        .put(
            &path,
            &org.token,
            &with(changed_body.clone(), json!({"external_id": "someone-else"})),
        )
        .await;
    let p = clash.problem(422, "validation_failed");
    assert!(
        names_field(&p, "external_id"),
        "{k}: names external_id: {p}"
    );
    // An invalid body: 422 naming the field.
    let (bad, field) = (kind.invalid)();
    let p = app
        .put(&path, &org.token, &with(changed_body.clone(), bad))
        .await
        .problem(422, "validation_failed");
    assert!(names_field(&p, field), "{k}: names `{field}`: {p}");
    let (entries, _) = app.feed_since(Some(&after_change), 100).await;
    assert!(
        entries.is_empty(),
        "{k}: refused upserts add nothing: {entries:?}"
    );
    let now = app
        .get_auth(&format!("/v1/{k}/{id}"), &org.token)
        .await
        .expect(200);
    assert_eq!(now["version"], 2, "{k}: refused upserts change nothing");

    // External ids are per organization: another org's same id is its own.
    let theirs = app
        .put(&path, &other.token, &(kind.body)())
        .await
        .expect(201);
    assert_ne!(
        theirs["id"],
        id.as_str(),
        "{k}: another organization's listing"
    );
    assert_eq!(theirs["organization"]["id"], other.id.as_str());

    // Deleted, then upserted again: a new listing.
    app.delete(&format!("/v1/{k}/{id}"), &org.token)
        .await
        .expect(204);
    let reborn = app.put(&path, &org.token, &(kind.body)()).await.expect(201);
    assert_ne!(
        reborn["id"],
        id.as_str(),
        "{k}: a deleted listing stays deleted"
    );
    assert_eq!(reborn["version"], 1);
}

#[tokio::test]
async fn upsert_by_external_id_twice_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    let org = app.org("Upserting partner").await;
    let other = app.org("Other partner").await;
    for kind in &KINDS {
        upsert_round(&app, &org, &other, kind).await;
    }
}

#[tokio::test]
async fn upsert_by_external_id_refuses_bad_paths_and_anonymous_callers() {
    let app = spawn_app().await;
    let org = app.org("Strict partner").await;
    let long = "x".repeat(201);
    let reply = app
        .put(
            &format!("/v1/groups/by-external-id/{long}"),
            &org.token,
            &group_body(json!({})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
    let reply = app
        .send(
            Method::PUT,
            "/v1/groups/by-external-id/x",
            None,
            Some(&group_body(json!({}))),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 401, "{}", reply.text);
    assert!(app.directory().await.is_empty());
}

fn result(answer: &Value, index: usize) -> &Value {
    let r = &answer["results"][index];
    assert_eq!(r["index"], index, "results are in request order: {answer}");
    r
}

fn counts(answer: &Value) -> Value {
    answer["counts"].clone()
}

fn expected_counts(pairs: &[(&str, u64)]) -> Value {
    let mut c = json!({"created": 0, "updated": 0, "unchanged": 0, "deleted": 0,
                       "not_found": 0, "failed": 0, "rolled_back": 0});
    for (k, v) in pairs {
        c[*k] = json!(v);
    }
    c
}

/// The field names of a failed item's problem.
fn problem_fields(r: &Value) -> Vec<String> {
    assert_eq!(r["outcome"], "failed", "{r}");
    r["problem"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("a failed item lists its fields: {r}"))
        .iter()
        .map(|e| s(&e["field"]))
        .collect()
}

#[tokio::test]
async fn bulk_sync_applies_valid_items_and_explains_the_others() {
    let app = spawn_app().await;
    let org = app.org("Bulk partner").await;
    let published = |ext: &str, name: &str| {
        group_body(
            json!({"external_id": ext, "name": name, "status": "published",
                          "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
        )
    };
    let start = app.feed_end().await;

    let mut no_ext = published("x", "No external id");
    no_ext.as_object_mut().unwrap().remove("external_id");
    let batch = json!({
        "upsert": [
            published("a", "Group A"),
            published("b", "Group B with a bad format").as_object().map(|o| {
                let mut o = o.clone();
                o.insert("format".into(), json!("teleport"));
                Value::Object(o)
            }).unwrap(),
            published("c", "Group C"),
            no_ext,
            with(published("e", "Group E"), json!({"capacity": 0})),
            with(published("f", "Group F"), json!({"format": "in_person"})),
        ],
        "delete": ["ghost-1", "ghost-2"]
    });
    let answer = app
        .post("/v1/sync/groups", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(answer["applied"], true, "{answer}");
    assert_eq!(answer["results"].as_array().unwrap().len(), 8, "{answer}");
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 2), ("failed", 4), ("not_found", 2)]),
        "{answer}"
    );
    let mut ids = Vec::new();
    for (i, ext) in [(0, "a"), (2, "c")] {
        let r = result(&answer, i);
        assert_eq!(r["operation"], "upsert");
        assert_eq!(r["outcome"], "created", "{r}");
        assert_eq!(r["external_id"], ext);
        assert_eq!(r["version"], 1, "{r}");
        assert!(r.get("problem").is_none_or(Value::is_null), "{r}");
        let id = s(&r["id"]);
        let g = app.get(&format!("/v1/groups/{id}")).await.expect(200);
        assert_eq!(g["external_id"], ext);
        ids.push(id);
    }
    for (i, field) in [
        (1, "upsert[1].format"),
        (3, "upsert[3].external_id"),
        (4, "upsert[4].capacity"),
        (5, "upsert[5].location"),
    ] {
        let r = result(&answer, i);
        assert_eq!(r["operation"], "upsert");
        let fields = problem_fields(r);
        assert!(
            fields.iter().any(|f| f == field),
            "item {i}: the problem names `{field}`: {r}"
        );
        assert_eq!(r["problem"]["code"], "validation_failed", "{r}");
        assert_eq!(r["problem"]["status"], 422, "{r}");
        assert!(r.get("id").is_none_or(Value::is_null), "{r}");
    }
    for (i, ext) in [(6, "ghost-1"), (7, "ghost-2")] {
        let r = result(&answer, i);
        assert_eq!(r["operation"], "delete");
        assert_eq!(r["outcome"], "not_found", "{r}");
        assert_eq!(r["external_id"], ext);
    }
    let (entries, after_first) = app.feed_since(Some(&start), 100).await;
    assert_eq!(entries.len(), 2, "two listings created: {entries:?}");

    // The same batch again: the valid items are unchanged, nothing new.
    let again = app
        .post("/v1/sync/groups", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 2), ("failed", 4), ("not_found", 2)]),
        "{again}"
    );
    for (n, i) in [0, 2].into_iter().enumerate() {
        let r = result(&again, i);
        assert_eq!(r["outcome"], "unchanged", "{r}");
        assert_eq!(r["id"], ids[n].as_str());
        assert_eq!(r["version"], 1);
    }
    // Only the valid items: every one unchanged.
    let valid = json!({"upsert": [published("a", "Group A"), published("c", "Group C")]});
    let again = app
        .post("/v1/sync/groups", &org.token, &valid)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 2)]),
        "{again}"
    );
    let (entries, _) = app.feed_since(Some(&after_first), 100).await;
    assert!(
        entries.is_empty(),
        "unchanged items add no entries: {entries:?}"
    );

    // Update, delete and create in one batch.
    let batch = json!({
        "upsert": [published("a", "Group A, renamed"), published("d", "Group D")],
        "delete": ["c", "a-never"]
    });
    let answer = app
        .post("/v1/sync/groups", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[
            ("updated", 1),
            ("created", 1),
            ("deleted", 1),
            ("not_found", 1)
        ]),
        "{answer}"
    );
    assert_eq!(result(&answer, 0)["version"], 2);
    assert_eq!(result(&answer, 2)["outcome"], "deleted");
    app.get(&format!("/v1/groups/{}", ids[1]))
        .await
        .problem(404, "not_found");
    let (entries, _) = app.feed_since(Some(&after_first), 100).await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    let tomb = entries
        .iter()
        .find(|e| e["id"] == ids[1].as_str())
        .expect("a tombstone for c");
    assert_eq!(tomb["action"], "delete");
}

#[tokio::test]
async fn atomic_bulk_sync_applies_everything_or_nothing() {
    let app = spawn_app().await;
    let org = app.org("Atomic partner").await;
    let other = app.org("Someone else").await;
    let published = |ext: &str, name: &str| {
        group_body(
            json!({"external_id": ext, "name": name, "status": "published",
                          "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
        )
    };
    let seed = json!({"upsert": [published("a", "A"), published("b", "B")]});
    let seeded = app
        .post("/v1/sync/groups?atomic=true", &org.token, &seed)
        .await
        .expect(200);
    assert_eq!(seeded["applied"], true);
    assert_eq!(counts(&seeded), expected_counts(&[("created", 2)]));

    let directory = app.directory().await;
    let cursor = app.feed_end().await;
    let a_id = s(&result(&seeded, 0)["id"]);

    // One invalid item (caught by validation): 422, nothing applied.
    let batch = json!({
        "upsert": [published("a", "A changed"), published("new", "New"),
                   with(published("bad", "Bad"), json!({"topics": []}))],
        "delete": ["b"]
    });
    let reply = app
        .post("/v1/sync/groups?atomic=true", &org.token, &batch)
        .await;
    let answer = reply.expect(422);
    assert_eq!(answer["applied"], false, "{answer}");
    assert_eq!(
        counts(&answer),
        expected_counts(&[("rolled_back", 3), ("failed", 1)]),
        "{answer}"
    );
    for i in [0, 1, 3] {
        let r = result(&answer, i);
        assert_eq!(r["outcome"], "rolled_back", "{r}");
        assert!(r.get("id").is_none_or(Value::is_null), "{r}");
        assert!(r.get("version").is_none_or(Value::is_null), "{r}");
    }
    assert!(problem_fields(result(&answer, 2)).contains(&"upsert[2].topics".to_owned()));

    // One item failing only when applied (an event naming another
    // organization's group): the earlier items' writes are rolled back.
    let their_group = app
        .published_group(&other.token, json!({"name": "Theirs"}))
        .await;
    let ev = |ext: &str| {
        event_body(json!({"external_id": ext, "listing_status": "published",
                          "starts_at": "2030-03-01T10:00:00", "ends_at": "2030-03-01T12:00:00"}))
    };
    let batch = json!({
        "upsert": [ev("e1"), ev("e2"), with(ev("e3"), json!({"group_id": their_group}))]
    });
    let answer = app
        .post("/v1/sync/events?atomic=true", &org.token, &batch)
        .await
        .expect(422);
    assert_eq!(answer["applied"], false, "{answer}");
    assert_eq!(
        counts(&answer),
        expected_counts(&[("rolled_back", 2), ("failed", 1)]),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 2)).contains(&"upsert[2].group_id".to_owned()),
        "{answer}"
    );
    // Without atomic, the same batch applies the two good events.
    let cursor_other = app.feed_end().await;
    let answer = app
        .post("/v1/sync/events", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 2), ("failed", 1)]),
        "{answer}"
    );
    let (entries, _) = app.feed_since(Some(&cursor_other), 100).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    let event_ids: Vec<String> = entries.iter().map(|e| s(&e["id"])).collect();
    for id in &event_ids {
        app.delete(&format!("/v1/events/{id}"), &org.token)
            .await
            .expect(204);
    }
    let (entries, end) = app.feed_since(Some(&cursor), 100).await;
    let mut mirror_changes: Vec<(String, String)> = entries
        .iter()
        .map(|e| (s(&e["id"]), s(&e["action"])))
        .collect();
    mirror_changes.sort();
    let mut expected: Vec<(String, String)> = event_ids
        .iter()
        .map(|id| (id.clone(), "delete".to_owned()))
        .chain([(their_group.clone(), "upsert".to_owned())])
        .collect();
    expected.sort();
    assert_eq!(
        mirror_changes, expected,
        "the rolled-back batches left nothing in the feed"
    );

    // Nothing of the rolled-back batches is in the directory.
    let mut now = app.directory().await;
    now.remove(&("group".to_owned(), their_group.clone()));
    assert_eq!(now, directory, "rolled-back batches changed the directory");
    let a = app
        .get_auth(&format!("/v1/groups/{a_id}"), &org.token)
        .await
        .expect(200);
    assert_eq!(a["version"], 1);
    assert_eq!(a["name"], "A");

    // All valid with atomic=true: applied.
    let batch = json!({"upsert": [published("a", "A changed")], "delete": ["b"]});
    let answer = app
        .post("/v1/sync/groups?atomic=true", &org.token, &batch)
        .await
        .expect(200);
    assert_eq!(answer["applied"], true);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("updated", 1), ("deleted", 1)])
    );
    let (entries, _) = app.feed_since(Some(&end), 100).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
}

#[tokio::test]
async fn bulk_sync_takes_at_most_a_thousand_items() {
    let app = spawn_app().await;
    let org = app.org("Big partner").await;
    let deletes: Vec<String> = (0..1000).map(|i| format!("gone-{i}")).collect();
    let answer = app
        .post(
            "/v1/sync/resources",
            &org.token,
            &json!({"delete": deletes}),
        )
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("not_found", 1000)]),
        "1000 items are fine"
    );

    let upserts: Vec<Value> = (0..600)
        .map(|i| resource_body(json!({"external_id": format!("r-{i}")})))
        .collect();
    let deletes: Vec<String> = (0..401).map(|i| format!("gone-{i}")).collect();
    for (what, body) in [
        (
            "1001 deletes",
            json!({"delete": (0..1001).map(|i| format!("x{i}")).collect::<Vec<_>>()}),
        ),
        (
            "600 upserts and 401 deletes",
            json!({"upsert": upserts, "delete": deletes}),
        ),
    ] {
        for atomic in ["", "?atomic=true"] {
            let reply = app
                .post(&format!("/v1/sync/resources{atomic}"), &org.token, &body)
                .await;
            assert_eq!(reply.status.as_u16(), 413, "{what}: {}", reply.text);
            reply.problem(413, "payload_too_large");
        }
    }
    let (entries, _) = app.feed_since(None, 100).await;
    assert!(entries.is_empty(), "refused batches write nothing");
    let reply = app
        .send_with(
            Method::POST,
            "/v1/sync/resources?atomic=maybe",
            Some(&org.token),
            Some(&json!({"upsert": []})),
            &[],
        )
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
}

#[tokio::test]
async fn bulk_sync_of_events_and_resources_reports_each_item() {
    let app = spawn_app().await;
    let org = app.org("Mixed partner").await;
    let events = json!({
        "upsert": [
            with(rich_event(), json!({"external_id": "ev-1"})),
            with(rich_event(), json!({"external_id": "ev-2", "ends_at": "2030-02-05T17:00:00"})),
            with(rich_event(), json!({"external_id": "ev-3", "timezone": "Mars/Olympus"}))
        ],
        "delete": ["ev-0"]
    });
    let answer = app
        .post("/v1/sync/events", &org.token, &events)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 1), ("failed", 2), ("not_found", 1)]),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 1))
            .iter()
            .any(|f| f.starts_with("upsert[1].")),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 2)).contains(&"upsert[2].timezone".to_owned()),
        "{answer}"
    );
    let again = app
        .post("/v1/sync/events", &org.token, &events)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 1), ("failed", 2), ("not_found", 1)]),
        "{again}"
    );

    let resources = json!({
        "upsert": [
            with(rich_resource(), json!({"external_id": "r-1"})),
            with(rich_resource(), json!({"external_id": "r-2", "url": "not a url"})),
            with(rich_resource(), json!({"external_id": "r-3", "name": "Another line"})),
        ]
    });
    let answer = app
        .post("/v1/sync/resources", &org.token, &resources)
        .await
        .expect(200);
    assert_eq!(
        counts(&answer),
        expected_counts(&[("created", 2), ("failed", 1)]),
        "{answer}"
    );
    assert!(
        problem_fields(result(&answer, 1)).contains(&"upsert[1].url".to_owned()),
        "{answer}"
    );
    let again = app
        .post("/v1/sync/resources", &org.token, &resources)
        .await
        .expect(200);
    assert_eq!(
        counts(&again),
        expected_counts(&[("unchanged", 2), ("failed", 1)]),
        "{again}"
    );
    let dir = app.directory().await;
    assert_eq!(dir.len(), 3, "one event and two resources: {dir:?}");
}
