//! An event's life: create, read, replace, patch and delete; drafts stay
//! private.

use serde_json::json;

use crate::helpers::series::upcoming;
use crate::helpers::{absent, event_body, spawn_app};

use super::support::{id_of, public_event_ids};

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
    if upcoming("2027-01-16T11:00:00Z") {
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
