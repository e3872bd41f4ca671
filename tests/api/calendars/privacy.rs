//! Feeds never show what the JSON hides: hidden places, private join links.

use serde_json::json;

use crate::helpers::ics::{event_uid, feed, group_uid, id_of, prop, unescape, unfold, value};
use crate::helpers::{in_person_body, spawn_app};

#[tokio::test]
async fn feeds_never_show_what_the_json_hides() {
    let app = spawn_app().await;
    let org = app.org("Discreet").await;
    let secret_place = json!({
        "visibility": "on_request", "name": "Secret hall", "street_address": "1 Secret Lane",
        "locality": "Islington", "region": "Greater London", "postal_code": "N1 9ZZ",
        "country": "GB", "latitude": 51.54321, "longitude": -0.10987
    });
    let area_place = json!({
        "visibility": "area_only", "name": "Hidden hall", "street_address": "2 Hidden Road",
        "locality": "Hackney", "region": "Greater London", "postal_code": "E8 1ZZ",
        "country": "GB", "latitude": 51.54567, "longitude": -0.05678
    });
    let private_link = "https://meet.example.org/private-room-4821";
    let private_event_link = "https://meet.example.org/private-event-7731";
    let public_link = "https://meet.example.org/public-event-1234";

    let on_request_group = app
        .published_group(
            &org.token,
            in_person_body(json!({
                "format": "hybrid", "location": secret_place,
                "online": {"platform": "Jitsi", "join_url": private_link}
            })),
        )
        .await;
    let area_group = app
        .published_group(
            &org.token,
            in_person_body(json!({
                "location": area_place,
                "online": {"platform": "Jitsi", "join_url": private_link,
                           "join_url_visibility": "area_only"},
                "format": "hybrid"
            })),
        )
        .await;
    let on_request_event = app
        .published_event(
            &org.token,
            json!({"group_id": on_request_group, "format": "hybrid", "location": secret_place,
                   "online": {"join_url": private_event_link}, "rrule": "FREQ=WEEKLY;COUNT=4"}),
        )
        .await;
    let area_event = app
        .published_event(
            &org.token,
            json!({"group_id": area_group, "format": "in_person", "online": null,
                   "location": area_place}),
        )
        .await;
    let public_event = app
        .published_event(
            &org.token,
            json!({"online": {"join_url": public_link, "join_url_visibility": "public"}}),
        )
        .await;

    let secret_strings = [
        "1 Secret Lane",
        "Secret hall",
        "N1 9ZZ",
        "Islington",
        "51.54321",
        "-0.10987",
        "0.10987",
    ];
    let area_hidden = [
        "2 Hidden Road",
        "Hidden hall",
        "E8 1ZZ",
        "51.54567",
        "0.05678",
    ];
    let paths = [
        format!("/v1/groups/{on_request_group}/calendar.ics"),
        format!("/v1/groups/{area_group}/calendar.ics"),
        format!("/v1/organizations/{}/calendar.ics", org.slug),
        "/v1/events.ics".to_owned(),
        "/v1/events.ics?from=2027-01-01T00:00:00Z&to=2027-06-01T00:00:00Z".to_owned(),
    ];
    let mut seen_area = false;
    let mut seen_public_link = false;
    for path in &paths {
        let (raw, cal) = feed(&app, path).await;
        let text = unfold(&raw);
        // Also with TEXT escaping undone, and with folds removed without
        // regard for where they fall.
        let plain = unescape(&raw.replace("\r\n ", "").replace("\r\n", "\n"));
        for s in secret_strings.iter().chain(&area_hidden) {
            for (how, body) in [("raw", &raw), ("unfolded", &text), ("unescaped", &plain)] {
                assert!(!body.contains(s), "{path} ({how}) shows `{s}`:\n{raw}");
            }
        }
        for link in [private_link, private_event_link] {
            assert!(!text.contains(link), "{path} shows the join link {link}");
            assert!(!plain.contains(link), "{path} shows the join link {link}");
        }
        for e in &cal.events {
            assert!(
                prop(&e.properties, "GEO").is_none(),
                "{path}: GEO on {:?}",
                value(&e.properties, "UID")
            );
            let uid = value(&e.properties, "UID").unwrap();
            let location = value(&e.properties, "LOCATION").map(|l| unescape(&l));
            if uid == group_uid(&on_request_group) || uid == event_uid(&on_request_event) {
                assert!(
                    location.is_none(),
                    "{path}: {uid} has LOCATION {location:?}"
                );
            }
            if uid == group_uid(&area_group) || uid == event_uid(&area_event) {
                let l = location.unwrap_or_else(|| panic!("{path}: {uid} has no LOCATION"));
                assert!(l.contains("Hackney"), "{path}: {uid}: {l}");
                assert!(!l.contains("Hidden Road"), "{path}: {uid}: {l}");
                seen_area = true;
            }
        }
        if text.contains(public_link) {
            seen_public_link = true;
        }
    }
    assert!(seen_area, "the area-only listings show their area");
    assert!(seen_public_link, "a public join link is shown");
    // The JSON agrees.
    for path in [
        format!("/v1/groups/{on_request_group}"),
        format!("/v1/events/{}", id_of(&on_request_event)),
    ] {
        let v = app.get(&path).await.expect(200);
        let text = v.to_string();
        for s in &secret_strings {
            assert!(!text.contains(s), "{path} shows `{s}`: {v}");
        }
        assert!(!text.contains(private_link) && !text.contains(private_event_link));
    }
    let v = app
        .get(&format!("/v1/events/{}", id_of(&public_event)))
        .await
        .expect(200);
    assert_eq!(v["online"]["join_url"], public_link);
}
