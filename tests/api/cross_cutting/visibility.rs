//! What the public sees: published groups only, locations and join links
//! according to their visibility; the owner sees everything.

use serde_json::{json, Value};

use crate::helpers::{absent, event_body, group_body, in_person_body, names, spawn_app, TestApp};

/// The group as the public sees it in the list and in its detail.
async fn public_views(app: &TestApp, id: &str) -> (Value, Value) {
    let list = app.list_all("").await;
    let in_list = list
        .into_iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("group {id} is not in the public list"));
    let detail = app.get(&format!("/v1/groups/{id}")).await.expect(200);
    (in_list, detail)
}

#[tokio::test]
async fn drafts_are_visible_to_their_owner_only() {
    let app = spawn_app().await;
    let org = app.org("Drafters").await;
    let g = app.create_group(&org.token, &group_body(json!({}))).await;
    assert_eq!(g["status"], "draft", "groups start as drafts: {g}");
    let id = g["id"].as_str().unwrap();
    let path = format!("/v1/groups/{id}");

    app.get(&path).await.problem(404, "not_found");
    assert!(app.list_ids("").await.is_empty());
    let own = app.get_auth(&path, &org.token).await;
    assert_eq!(own.expect(200)["status"], "draft");
    let cc = own.header("cache-control").unwrap_or_default();
    assert!(
        cc.contains("private") || cc.contains("no-store"),
        "a read with a token is not publicly cacheable: {cc}"
    );

    app.patch(&path, &org.token, &json!({"status": "published"}))
        .await
        .expect(200);
    assert_eq!(app.get(&path).await.expect(200)["status"], "published");
    assert_eq!(app.list_ids("").await, vec![id.to_owned()]);
}

/// A draft group's events, meetings and calendar feed: its owner previews
/// them with its token (draft events included, never publicly cacheable);
/// the public and other organizations get 404, and see only published
/// events once the group is published.
#[tokio::test]
async fn owners_preview_a_draft_groups_events_meetings_and_calendar() {
    let app = spawn_app().await;
    let org = app.org("Previewers").await;
    let other = app.org("Onlookers").await;
    let g = app.create_group(&org.token, &group_body(json!({}))).await;
    let id = g["id"].as_str().unwrap().to_owned();
    let draft_event = app
        .create_event(
            &org.token,
            &event_body(json!({"group_id": id, "name": "Draft social"})),
        )
        .await;
    let public_event = app
        .published_event(&org.token, json!({"group_id": id, "name": "Open evening"}))
        .await;
    let events = format!("/v1/groups/{id}/events");
    let meetings =
        format!("/v1/groups/{id}/occurrences?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z");
    let calendar = format!("/v1/groups/{id}/calendar.ics");

    let private = |reply: &crate::helpers::Reply| {
        let cc = reply.header("cache-control").unwrap_or_default();
        assert!(cc.contains("private") && cc.contains("no-store"), "{cc}");
    };
    let own = app.get_auth(&events, &org.token).await;
    private(&own);
    let names = names(&own.expect(200));
    assert_eq!(
        names.len(),
        2,
        "the owner sees its draft event too: {names:?}"
    );
    assert!(names.contains(&"Draft social".to_owned()));
    let own = app.get_auth(&meetings, &org.token).await;
    private(&own);
    assert_eq!(
        own.expect(200)["data"].as_array().unwrap().len(),
        4,
        "Thursdays of January 2027"
    );
    let own = app.get_auth(&calendar, &org.token).await;
    private(&own);
    assert_eq!(own.status, 200);
    let ics = own.text.clone();
    assert!(
        ics.contains("Thursday anxiety circle") && ics.contains("Draft social"),
        "{ics}"
    );

    for path in [&events, &meetings, &calendar] {
        app.get(path).await.problem(404, "not_found");
        app.get_auth(path, &other.token)
            .await
            .problem(404, "not_found");
        app.get_auth(path, "not-a-token")
            .await
            .problem(401, "unauthorized");
    }

    app.patch(
        &format!("/v1/groups/{id}"),
        &org.token,
        &json!({"status": "published"}),
    )
    .await
    .expect(200);
    let public = app.get(&events).await.expect(200);
    let ids: Vec<_> = public["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(
        ids,
        vec![public_event["id"].clone()],
        "the public never sees the draft event"
    );
    let ics = app.get(&calendar).await.text;
    assert!(
        ics.contains("Open evening") && !ics.contains("Draft social"),
        "{ics}"
    );
    assert_eq!(draft_event["listing_status"], "draft");
}

#[tokio::test]
async fn area_only_locations_show_the_area_and_nothing_more() {
    let app = spawn_app().await;
    let org = app.org("Private places").await;
    // `area_only` explicitly, and by default.
    let explicit = app
        .create_group(&org.token, &in_person_body(json!({"status": "published"})))
        .await;
    let mut default_body = in_person_body(json!({"status": "published"}));
    default_body["location"]
        .as_object_mut()
        .unwrap()
        .remove("visibility");
    let default = app.create_group(&org.token, &default_body).await;
    assert_eq!(default["location"]["visibility"], "area_only");

    for g in [explicit, default] {
        let id = g["id"].as_str().unwrap();
        let (list, detail) = public_views(&app, id).await;
        for (what, v) in [("list", &list), ("detail", &detail)] {
            let l = &v["location"];
            assert_eq!(l["visibility"], "area_only", "{what}: {v}");
            assert_eq!(l["locality"], "London", "{what}: {v}");
            assert_eq!(l["region"], "Greater London", "{what}: {v}");
            assert_eq!(l["country"], "GB", "{what}: {v}");
            for hidden in [
                "street_address",
                "postal_code",
                "latitude",
                "longitude",
                "name",
            ] {
                assert!(absent(l, hidden), "{what}: `{hidden}` is public: {v}");
            }
            for secret in ["12 Cedar Road", "N1 7AA", "51.5362", "St Anne"] {
                assert!(
                    !v.to_string().contains(secret),
                    "{what}: `{secret}` leaks: {v}"
                );
            }
        }
        // The owner sees everything.
        let own = app
            .get_auth(&format!("/v1/groups/{id}"), &org.token)
            .await
            .expect(200);
        let l = &own["location"];
        assert_eq!(l["street_address"], "12 Cedar Road");
        assert_eq!(l["postal_code"], "N1 7AA");
        assert_eq!(l["latitude"], 51.5362);
        assert_eq!(l["longitude"], -0.1034);
        assert_eq!(l["name"], "St Anne's community hall");
    }
}

#[tokio::test]
async fn on_request_locations_show_no_place_at_all() {
    let app = spawn_app().await;
    let org = app.org("Hidden places").await;
    let g = app
        .create_group(
            &org.token,
            &in_person_body(
                json!({"status": "published", "location": {"visibility": "on_request"}}),
            ),
        )
        .await;
    let id = g["id"].as_str().unwrap();
    let (list, detail) = public_views(&app, id).await;
    for (what, v) in [("list", &list), ("detail", &detail)] {
        let l = &v["location"];
        assert!(
            l.is_null() || l["visibility"] == "on_request",
            "{what}: {v}"
        );
        for hidden in [
            "street_address",
            "postal_code",
            "latitude",
            "longitude",
            "name",
            "locality",
            "region",
            "country",
        ] {
            assert!(
                l.is_null() || absent(l, hidden),
                "{what}: `{hidden}` is public: {v}"
            );
        }
        for secret in ["12 Cedar Road", "N1 7AA", "Greater London", "51.5362"] {
            assert!(
                !v.to_string().contains(secret),
                "{what}: `{secret}` leaks: {v}"
            );
        }
    }
    let own = app
        .get_auth(&format!("/v1/groups/{id}"), &org.token)
        .await
        .expect(200);
    assert_eq!(own["location"]["locality"], "London");
    assert_eq!(own["location"]["street_address"], "12 Cedar Road");

    // `public` shows everything.
    let g = app
        .create_group(
            &org.token,
            &in_person_body(json!({"status": "published", "location": {"visibility": "public"}})),
        )
        .await;
    let (list, detail) = public_views(&app, g["id"].as_str().unwrap()).await;
    for v in [list, detail] {
        assert_eq!(v["location"]["street_address"], "12 Cedar Road", "{v}");
        assert_eq!(v["location"]["latitude"], 51.5362, "{v}");
    }
}

#[tokio::test]
async fn join_links_are_public_only_when_marked_public() {
    let app = spawn_app().await;
    let org = app.org("Online").await;
    let url = "https://meet.jit.si/circles-anxiety-thursday";
    for (visibility, shown) in [
        (Some("public"), true),
        (Some("on_request"), false),
        (Some("area_only"), false),
        (None, false),
    ] {
        let online = match visibility {
            Some(v) => json!({"join_url_visibility": v}),
            None => json!({}),
        };
        let g = app
            .create_group(
                &org.token,
                &group_body(json!({"status": "published", "online": online})),
            )
            .await;
        let id = g["id"].as_str().unwrap();
        let (list, detail) = public_views(&app, id).await;
        for (what, v) in [("list", &list), ("detail", &detail)] {
            assert_eq!(v["online"]["platform"], "Jitsi", "{what}: {v}");
            if shown {
                assert_eq!(v["online"]["join_url"], url, "{visibility:?} {what}: {v}");
            } else {
                assert!(
                    absent(&v["online"], "join_url") && !v.to_string().contains(url),
                    "{visibility:?} {what}: the join link is public: {v}"
                );
            }
        }
        let own = app
            .get_auth(&format!("/v1/groups/{id}"), &org.token)
            .await
            .expect(200);
        assert_eq!(own["online"]["join_url"], url, "the owner sees the link");
        assert_eq!(
            own["online"]["join_url_visibility"],
            visibility.unwrap_or("on_request")
        );
    }
}

#[tokio::test]
async fn archived_and_deleted_groups_leave_public_reads() {
    let app = spawn_app().await;
    let org = app.org("Archivists").await;
    let keep = app
        .published_group(&org.token, json!({"external_id": "keep"}))
        .await;
    let archived = app
        .published_group(&org.token, json!({"external_id": "archived"}))
        .await;
    let deleted = app
        .published_group(&org.token, json!({"external_id": "deleted"}))
        .await;
    let mut all = app.list_ids("").await;
    all.sort();
    let mut expected = vec![keep.clone(), archived.clone(), deleted.clone()];
    expected.sort();
    assert_eq!(all, expected);

    let a = app
        .patch(
            &format!("/v1/groups/{archived}"),
            &org.token,
            &json!({"status": "archived"}),
        )
        .await
        .expect(200);
    assert_eq!(a["status"], "archived");
    app.delete(&format!("/v1/groups/{deleted}"), &org.token)
        .await
        .expect(204);

    assert_eq!(app.list_ids("").await, vec![keep.clone()]);
    assert_eq!(
        app.list_ids(&format!("organization={}", org.slug)).await,
        vec![keep.clone()]
    );
    app.get(&format!("/v1/groups/{archived}"))
        .await
        .problem(404, "not_found");
    app.get(&format!("/v1/groups/{deleted}"))
        .await
        .problem(404, "not_found");
    // The owner still sees the archived group, not the deleted one.
    assert_eq!(
        app.get_auth(&format!("/v1/groups/{archived}"), &org.token)
            .await
            .expect(200)["status"],
        "archived"
    );
    let path = format!("/v1/groups/{deleted}");
    app.get_auth(&path, &org.token)
        .await
        .problem(404, "not_found");
    app.patch(&path, &org.token, &json!({"name": "Back"}))
        .await
        .problem(404, "not_found");
    app.put(&path, &org.token, &group_body(json!({})))
        .await
        .problem(404, "not_found");
    app.delete(&path, &org.token)
        .await
        .problem(404, "not_found");

    // external_id: taken while the group lives, free once it is deleted.
    app.post(
        "/v1/groups",
        &org.token,
        &group_body(json!({"external_id": "keep"})),
    )
    .await
    .problem(409, "external_id_taken");
    app.post(
        "/v1/groups",
        &org.token,
        &group_body(json!({"external_id": "archived"})),
    )
    .await
    .problem(409, "external_id_taken");
    let reused = app
        .create_group(
            &org.token,
            &group_body(json!({"external_id": "deleted", "status": "published"})),
        )
        .await;
    assert_eq!(reused["external_id"], "deleted");
    assert_ne!(reused["id"], deleted.as_str());
    // Another organization may use the same external_id.
    let other = app.org("Others").await;
    app.create_group(&other.token, &group_body(json!({"external_id": "keep"})))
        .await;
    // Renaming onto a taken external_id is a conflict too.
    app.patch(
        &format!("/v1/groups/{}", reused["id"].as_str().unwrap()),
        &org.token,
        &json!({"external_id": "keep"}),
    )
    .await
    .problem(409, "external_id_taken");
}
