//! Events: create, read, replace, patch and delete; drafts stay private;
//! organizations cannot touch each other's events; bad input is named.

use circles::vocab::{self, Vocabulary};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{absent, event_body, first_error, group_body, spawn_app, Reply, TestApp};

fn allowed<V: Vocabulary>() -> Vec<String> {
    V::allowed().iter().map(|s| s.to_string()).collect()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// Ids of every public event, walking all pages.
async fn public_event_ids(app: &TestApp, query: &str) -> Vec<String> {
    app.walk(&format!("/v1/events?{query}"), 100)
        .await
        .iter()
        .map(id_of)
        .collect()
}

/// A 422 whose first error names `field` (with `allowed` when given);
/// returns what is wrong, if anything.
fn check_422(
    what: &str,
    reply: &Reply,
    field: &str,
    expected: Option<&[String]>,
) -> Option<String> {
    if reply.status.as_u16() != 422 {
        return Some(format!(
            "{what}: status {} instead of 422: {}",
            reply.status, reply.text
        ));
    }
    let p = reply.problem(422, "validation_failed");
    let (got, got_allowed) = first_error(&p);
    if got != field {
        return Some(format!(
            "{what}: errors[0].field is `{got}`, not `{field}`: {p}"
        ));
    }
    if let Some(expected) = expected {
        if got_allowed.as_deref() != Some(expected) {
            return Some(format!(
                "{what}: allowed is {got_allowed:?}, expected {expected:?}: {p}"
            ));
        }
    }
    None
}

/// (what, body overrides, field named, accepted values)
type Case = (&'static str, Value, &'static str, Option<Vec<String>>);

fn fail_all(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn events_round_trip_create_read_replace_patch_delete() {
    let app = spawn_app().await;
    let org = app.org("Event makers").await;
    let group = app.published_group(&org.token, json!({})).await;

    let body = event_body(json!({
        "external_id": "open-day-2027",
        "group_id": group,
        "topics": ["grief", "general", "grief"],
        "description": "All welcome.",
        "registration_url": "https://example.org/open-day",
        "capacity": 40,
        "cost": {"kind": "paid", "amount": "5.00", "currency": "GBP"}
    }));
    let reply = app.post("/v1/events", &org.token, &body).await;
    let created = reply.expect(201);
    let id = id_of(&created);
    assert_eq!(
        reply.header("location").as_deref(),
        Some(format!("/v1/events/{id}").as_str()),
        "Location header"
    );
    assert_eq!(created["listing_status"], "draft", "a draft by default");
    assert_eq!(created["status"], "scheduled", "scheduled by default");
    assert_eq!(created["version"], 1);
    // Deduplicated, in vocabulary order.
    assert_eq!(created["topics"], json!(["grief", "general"]));
    assert_eq!(created["starts_at"], "2027-01-16T11:00:00");
    assert_eq!(created["ends_at"], "2027-01-16T15:00:00");
    assert_eq!(created["timezone"], "Europe/London");
    assert_eq!(created["group_id"], group);
    assert_eq!(created["organization"]["id"], org.id);
    assert_eq!(created["capacity"], 40);
    assert_eq!(created["cost"]["amount"], "5.00");
    assert_eq!(created["exdates"], json!([]));
    assert!(absent(&created, "rrule"), "{created}");
    // The owner sees its own join link.
    assert_eq!(
        created["online"]["join_url"],
        "https://meet.jit.si/circles-open-day"
    );
    // The only occurrence: 11:00 GMT is 11:00 UTC (while it is ahead).
    if crate::occurrences::upcoming("2027-01-16T11:00:00Z") {
        assert_eq!(
            created["next_occurrence"]["starts_at"],
            "2027-01-16T11:00:00Z"
        );
        let local = chrono::DateTime::parse_from_rfc3339(
            created["next_occurrence"]["local_starts_at"]
                .as_str()
                .expect("a local start"),
        )
        .expect("RFC 3339");
        assert_eq!(local.to_rfc3339(), "2027-01-16T11:00:00+00:00");
    }
    let path = format!("/v1/events/{id}");

    // A draft: the owner reads it, nobody else does.
    let own = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(own, created);
    app.get(&path).await.problem(404, "not_found");
    assert!(public_event_ids(&app, "").await.is_empty());
    let group_events = app
        .get(&format!("/v1/groups/{group}/events"))
        .await
        .expect(200);
    assert_eq!(group_events["data"], json!([]), "drafts are not listed");

    // Publish with a merge patch.
    let published = app
        .patch(&path, &org.token, &json!({"listing_status": "published"}))
        .await
        .expect(200);
    assert_eq!(published["listing_status"], "published");
    assert_eq!(published["version"], 2);
    assert_eq!(published["name"], created["name"], "the rest is kept");
    let public = app.get(&path).await.expect(200);
    assert_eq!(public["id"], id);
    assert!(
        absent(&public["online"], "join_url"),
        "the join link is on request by default: {public}"
    );
    assert_eq!(public_event_ids(&app, "").await, vec![id.clone()]);
    let group_events = app
        .get(&format!("/v1/groups/{group}/events"))
        .await
        .expect(200);
    assert_eq!(group_events["data"][0]["id"], id);
    assert!(group_events["next_cursor"].is_null());

    // Replace: fields not sent are reset.
    let replacement = event_body(json!({
        "name": "Open evening",
        "starts_at": "2027-02-01T18:00:00",
        "ends_at": "2027-02-01T20:00:00",
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "exdates": ["2027-02-15T18:00:00"],
        "listing_status": "published",
        "status": "postponed"
    }));
    let replaced = app.put(&path, &org.token, &replacement).await.expect(200);
    assert_eq!(replaced["name"], "Open evening");
    assert_eq!(replaced["version"], 3);
    assert_eq!(replaced["status"], "postponed");
    assert_eq!(replaced["rrule"], "FREQ=WEEKLY;COUNT=4");
    assert_eq!(replaced["exdates"], json!(["2027-02-15T18:00:00"]));
    for gone in [
        "external_id",
        "group_id",
        "description",
        "registration_url",
        "capacity",
    ] {
        assert!(absent(&replaced, gone), "PUT keeps `{gone}`: {replaced}");
    }
    assert_eq!(replaced["cost"]["kind"], "free");
    assert_eq!(replaced["topics"], json!(["general"]));
    assert_eq!(replaced["id"], id, "the id is kept");
    assert_eq!(replaced["created_at"], created["created_at"]);

    // Merge patch: `null` clears, objects merge.
    let patched = app
        .patch(
            &path,
            &org.token,
            &json!({"summary": null, "status": "cancelled",
                    "online": {"join_url_visibility": "public"}}),
        )
        .await
        .expect(200);
    assert_eq!(patched["version"], 4);
    assert!(absent(&patched, "summary"), "{patched}");
    assert_eq!(patched["status"], "cancelled");
    assert_eq!(patched["online"]["platform"], "Jitsi");
    assert_eq!(
        app.get(&path).await.expect(200)["online"]["join_url"],
        "https://meet.jit.si/circles-open-day",
        "a public join link is public"
    );
    // Filters of the event list.
    assert_eq!(
        public_event_ids(&app, "status=cancelled").await,
        vec![id.clone()]
    );
    assert!(public_event_ids(&app, "status=scheduled").await.is_empty());
    assert_eq!(
        public_event_ids(&app, "topic=general,grief").await,
        vec![id.clone()]
    );
    assert!(public_event_ids(&app, "topic=grief").await.is_empty());
    assert!(public_event_ids(&app, "format=in_person").await.is_empty());
    assert_eq!(
        public_event_ids(&app, &format!("organization={}", org.slug)).await,
        vec![id.clone()]
    );

    // Delete: gone for everyone, twice is 404.
    let del = app.delete(&path, &org.token).await;
    assert_eq!(del.status.as_u16(), 204, "{}", del.text);
    app.get(&path).await.problem(404, "not_found");
    app.get_auth(&path, &org.token)
        .await
        .problem(404, "not_found");
    app.delete(&path, &org.token)
        .await
        .problem(404, "not_found");
    app.patch(&path, &org.token, &json!({"name": "Back"}))
        .await
        .problem(404, "not_found");
    assert!(public_event_ids(&app, "").await.is_empty());

    // external_id is unique per organization (while the event lives).
    let first = app
        .create_event(&org.token, &event_body(json!({"external_id": "dup"})))
        .await;
    app.post(
        "/v1/events",
        &org.token,
        &event_body(json!({"external_id": "dup"})),
    )
    .await
    .problem(409, "external_id_taken");
    let other = app.org("Someone else").await;
    app.create_event(&other.token, &event_body(json!({"external_id": "dup"})))
        .await;
    assert_eq!(first["external_id"], "dup");
    // The deleted event's external_id is free again.
    app.create_event(
        &org.token,
        &event_body(json!({"external_id": "open-day-2027"})),
    )
    .await;
}

#[tokio::test]
async fn another_organization_cannot_write_or_see_events() {
    let app = spawn_app().await;
    let a = app.org("Org A").await;
    let b = app.org("Org B").await;
    let a_group = app.published_group(&a.token, json!({})).await;
    let b_group = app.published_group(&b.token, json!({})).await;

    let draft = app
        .create_event(
            &a.token,
            &event_body(json!({"external_id": "a-draft", "group_id": a_group})),
        )
        .await;
    let published = app
        .published_event(
            &a.token,
            json!({"external_id": "a-pub", "rrule": "FREQ=WEEKLY;COUNT=3"}),
        )
        .await;
    let ids = [id_of(&draft), id_of(&published)];
    let mut before = Vec::new();
    for id in &ids {
        before.push(
            app.get_auth(&format!("/v1/events/{id}"), &a.token)
                .await
                .expect(200),
        );
    }

    let hijack = event_body(json!({"name": "Hijacked", "listing_status": "published",
                                   "group_id": b_group}));
    for id in &ids {
        let path = format!("/v1/events/{id}");
        app.put(&path, &b.token, &hijack)
            .await
            .problem(404, "not_found");
        app.put(&path, &b.token, &event_body(json!({"name": "Hijacked"})))
            .await
            .problem(404, "not_found");
        for patch in [
            json!({"name": "Hijacked"}),
            json!({"listing_status": "published"}),
            json!({"status": "cancelled"}),
            json!({"group_id": b_group}),
        ] {
            app.patch(&path, &b.token, &patch)
                .await
                .problem(404, "not_found");
        }
        app.delete(&path, &b.token).await.problem(404, "not_found");
        let post = app
            .send(Method::POST, &path, Some(&b.token), Some(&hijack))
            .await;
        assert!(
            post.status.is_client_error() && post.status.as_u16() != 401,
            "POST {path} with another organization's token: {} {}",
            post.status,
            post.text
        );
    }
    // A's draft is invisible to B and to the public.
    let draft_path = format!("/v1/events/{}", ids[0]);
    app.get_auth(&draft_path, &b.token)
        .await
        .problem(404, "not_found");
    app.get(&draft_path).await.problem(404, "not_found");
    // Nothing changed.
    for (id, old) in ids.iter().zip(&before) {
        let now = app
            .get_auth(&format!("/v1/events/{id}"), &a.token)
            .await
            .expect(200);
        assert_eq!(&now, old, "event {id} changed");
        assert_eq!(now["version"], 1);
    }
    assert_eq!(public_event_ids(&app, "").await, vec![ids[1].clone()]);
    assert_eq!(
        public_event_ids(&app, &format!("organization={}", b.id)).await,
        Vec::<String>::new()
    );

    // An event may only belong to a group of its own organization.
    let steal = event_body(json!({"group_id": a_group}));
    let p = app
        .post("/v1/events", &b.token, &steal)
        .await
        .problem(422, "validation_failed");
    assert_eq!(first_error(&p).0, "group_id", "{p}");
    let b_event = app.create_event(&b.token, &event_body(json!({}))).await;
    let b_path = format!("/v1/events/{}", id_of(&b_event));
    let p = app
        .put(&b_path, &b.token, &steal)
        .await
        .problem(422, "validation_failed");
    assert_eq!(first_error(&p).0, "group_id", "{p}");
    let p = app
        .patch(&b_path, &b.token, &json!({"group_id": a_group}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(first_error(&p).0, "group_id", "{p}");
    for bad in [json!(uuid::Uuid::new_v4().to_string()), json!("not-a-uuid")] {
        let p = app
            .post(
                "/v1/events",
                &b.token,
                &event_body(json!({"group_id": bad})),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(first_error(&p).0, "group_id", "{p}");
    }
    // B's event is unchanged and still has no group; its own group is fine.
    let b_now = app.get_auth(&b_path, &b.token).await.expect(200);
    assert!(absent(&b_now, "group_id"), "{b_now}");
    assert_eq!(b_now["version"], 1);
    let own = app
        .patch(&b_path, &b.token, &json!({"group_id": b_group}))
        .await
        .expect(200);
    assert_eq!(own["group_id"], b_group);
    // A's group lists none of B's events, even published ones.
    app.patch(&b_path, &b.token, &json!({"listing_status": "published"}))
        .await
        .expect(200);
    let a_group_events = app
        .get(&format!("/v1/groups/{a_group}/events"))
        .await
        .expect(200);
    assert_eq!(a_group_events["data"], json!([]));

    // Writes need a token with the right scope.
    app.send(
        Method::POST,
        "/v1/events",
        None,
        Some(&event_body(json!({}))),
    )
    .await
    .problem(401, "unauthorized");
    let read_only = crate::helpers::forge(
        &{
            let mut c = crate::helpers::claims(&b);
            c["scope"] = json!("organization:write");
            c
        },
        Some(crate::helpers::JWT_KID),
        crate::helpers::JWT_SECRET,
    );
    app.post("/v1/events", &read_only, &event_body(json!({})))
        .await
        .problem(403, "forbidden");
    app.patch(&b_path, &read_only, &json!({"name": "x"}))
        .await
        .problem(403, "forbidden");
}

#[tokio::test]
async fn bad_event_input_names_the_field() {
    let app = spawn_app().await;
    let org = app.org("Careless").await;
    let statuses = allowed::<vocab::EventStatus>();
    let listing = allowed::<vocab::ListingStatus>();
    assert_eq!(statuses, ["scheduled", "cancelled", "postponed"]);

    let cases: Vec<Case> = vec![
        (
            "bad status",
            json!({"status": "done"}),
            "status",
            Some(statuses.clone()),
        ),
        (
            "bad listing status",
            json!({"listing_status": "live"}),
            "listing_status",
            Some(listing.clone()),
        ),
        (
            "bad format",
            json!({"format": "telepathy"}),
            "format",
            Some(allowed::<vocab::Format>()),
        ),
        (
            "ends before it starts",
            json!({"ends_at": "2027-01-16T10:00:00"}),
            "ends_at",
            None,
        ),
        (
            "ends as it starts",
            json!({"ends_at": "2027-01-16T11:00:00"}),
            "ends_at",
            None,
        ),
        (
            "lasts too long",
            json!({"ends_at": "2027-03-16T11:00:00"}),
            "ends_at",
            None,
        ),
        (
            "unknown zone",
            json!({"timezone": "Mars/Olympus_Mons"}),
            "timezone",
            None,
        ),
        (
            "offset as zone",
            json!({"timezone": "+01:00"}),
            "timezone",
            None,
        ),
        ("empty zone", json!({"timezone": ""}), "timezone", None),
        (
            "bad rrule",
            json!({"rrule": "FREQ=SOMETIMES"}),
            "rrule",
            None,
        ),
        (
            "garbage rrule",
            json!({"rrule": "every tuesday"}),
            "rrule",
            None,
        ),
        (
            "rrule with prefix",
            json!({"rrule": "RRULE:FREQ=WEEKLY"}),
            "rrule",
            None,
        ),
        (
            "two lines",
            json!({"rrule": "FREQ=WEEKLY\nEXDATE:20270123T110000"}),
            "rrule",
            None,
        ),
        (
            "local UNTIL",
            json!({"rrule": "FREQ=WEEKLY;UNTIL=20270301T000000"}),
            "rrule",
            None,
        ),
        (
            "date-only UNTIL",
            json!({"rrule": "FREQ=WEEKLY;UNTIL=20270301"}),
            "rrule",
            None,
        ),
        (
            "exdates without a rule",
            json!({"exdates": ["2027-01-23T11:00:00"]}),
            "exdates",
            None,
        ),
        (
            "starts_at with an offset",
            json!({"starts_at": "2027-01-16T11:00:00+00:00"}),
            "starts_at",
            None,
        ),
        (
            "starts_at not a time",
            json!({"starts_at": "soon"}),
            "starts_at",
            None,
        ),
        ("no name", json!({"name": "  "}), "name", None),
        ("zero capacity", json!({"capacity": 0}), "capacity", None),
        (
            "not a url",
            json!({"registration_url": "nope"}),
            "registration_url",
            None,
        ),
        (
            "in person without a place",
            json!({"format": "in_person", "online": null}),
            "location",
            None,
        ),
        ("unknown field", json!({"colour": "red"}), "colour", None),
    ];

    let base = app
        .create_event(
            &org.token,
            &event_body(json!({"rrule": "FREQ=WEEKLY;COUNT=2"})),
        )
        .await;
    let path = format!("/v1/events/{}", id_of(&base));
    let mut problems = Vec::new();
    for (what, overrides, field, expected) in &cases {
        let body = event_body(overrides.clone());
        let reply = app.post("/v1/events", &org.token, &body).await;
        problems.extend(check_422(
            &format!("POST {what}"),
            &reply,
            field,
            expected.as_deref(),
        ));
        let reply = app.put(&path, &org.token, &body).await;
        problems.extend(check_422(
            &format!("PUT {what}"),
            &reply,
            field,
            expected.as_deref(),
        ));
        // The same change as a merge patch onto a weekly event (exdates
        // without a rule only makes sense for PUT/POST).
        if *field != "exdates" {
            let mut patch = overrides.clone();
            if *field == "location" {
                patch = json!({"format": "in_person", "online": null});
            }
            let reply = app.patch(&path, &org.token, &patch).await;
            problems.extend(check_422(
                &format!("PATCH {what}"),
                &reply,
                field,
                expected.as_deref(),
            ));
        }
    }
    fail_all(problems);
    // Nothing was written.
    let now = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(now, base);
    let all = app.get_auth("/v1/events", &org.token).await.expect(200);
    assert_eq!(all["data"], json!([]), "no published event exists: {all}");

    // Query parameters are checked too.
    for (query, param) in [
        ("status=done", "status"),
        ("topic=sadness", "topic"),
        ("format=telepathy", "format"),
        ("limit=0", "limit"),
        ("from=yesterday&to=2027-01-01T00:00:00Z", "from"),
        ("colour=red", "colour"),
    ] {
        let reply = app.get(&format!("/v1/events?{query}")).await;
        assert_eq!(reply.status.as_u16(), 400, "{query}: {}", reply.text);
        let p = reply.json();
        assert_eq!(first_error(&p).0, param, "{query}: {p}");
    }
    app.get("/v1/events/not-a-uuid")
        .await
        .problem(400, "invalid_path");
    app.get(&format!("/v1/events/{}", uuid::Uuid::new_v4()))
        .await
        .problem(404, "not_found");
    // A group that does not exist has no events.
    app.get(&format!("/v1/groups/{}/events", uuid::Uuid::new_v4()))
        .await
        .problem(404, "not_found");
    let draft_group = app.create_group(&org.token, &group_body(json!({}))).await;
    app.get(&format!("/v1/groups/{}/events", id_of(&draft_group)))
        .await
        .problem(404, "not_found");
}
