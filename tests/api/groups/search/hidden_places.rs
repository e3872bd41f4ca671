//! Hidden places stay hidden: nearby search never reveals a place that is not
//! public.

use serde_json::json;

use crate::helpers::{in_person_body, merge, spawn_app};

use super::generator::{haversine, shown_distance};

#[tokio::test]
async fn hidden_places_never_leak_through_search() {
    let app = spawn_app().await;
    let org = app.org("Heron Trust").await;
    // (visibility, street, postal code, room, lat, lon)
    let hidden: [(&str, &str, &str, &str, f64, f64); 3] = [
        (
            "on_request",
            "17 Wisteria Lane",
            "N1 9ZZ",
            "The Blue Vestry",
            51.53621,
            -0.10347,
        ),
        (
            "area_only",
            "42 Quillfeather Mews",
            "M4 6QQ",
            "Upper Loft Room",
            53.48213,
            -2.24187,
        ),
        (
            "on_request",
            "9 Larkspur Yard",
            "LS2 8XY",
            "Basement Den",
            53.80076,
            -1.54934,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (vis, street, postal, room, lat, lon)) in hidden.iter().enumerate() {
        let format = if i == 2 { "hybrid" } else { "in_person" };
        let mut body = in_person_body(json!({
            "name": format!("Heron circle {i}"),
            "format": format,
            "status": "published",
            "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TU", "starts_at": "2028-01-04T18:00:00",
                         "timezone": "Europe/London", "duration_minutes": 90},
            "location": {"visibility": vis, "name": room, "street_address": street,
                         "postal_code": postal, "locality": "Townsville", "country": "GB",
                         "latitude": lat, "longitude": lon}
        }));
        if format == "hybrid" {
            merge(
                &mut body,
                &json!({"online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/heron-x"}}),
            );
        }
        ids.push(
            app.create_group(&org.token, &body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // A public neighbour, so that the lists are not empty for other reasons.
    app.published_group(&org.token, json!({"name": "Heron online"}))
        .await;

    let mut secrets: Vec<String> = Vec::new();
    for (_, street, postal, room, lat, lon) in &hidden {
        secrets.extend([street.to_string(), postal.to_string(), room.to_string()]);
        secrets.push(street.split(' ').nth(1).unwrap().to_owned());
        // As JSON prints them, and the first four decimals.
        secrets.push(format!("{lat}"));
        secrets.push(format!("{}", lon.abs()));
        secrets.push(format!("{lat:.4}"));
        secrets.push(format!("{:.4}", lon.abs()));
    }
    let check = |what: &str, text: &str| {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} leaks `{s}`: {text}");
        }
    };

    let mut paths: Vec<String> = vec![
        "/v1/groups?limit=100".into(),
        "/v1/changes?limit=100".into(),
    ];
    for sort in ["created", "name", "updated", "next_meeting", "relevance"] {
        paths.push(format!(
            "/v1/groups?q=heron&sort={sort}&facets=topic,format,language&include_total=true"
        ));
    }
    for id in &ids {
        paths.push(format!("/v1/groups/{id}"));
        paths.push(format!("/v1/groups/{id}/calendar.ics"));
    }
    paths.push(format!("/v1/organizations/{}/calendar.ics", org.slug));
    paths.push("/v1/events.ics".into());
    for (vis, _, _, _, lat, lon) in &hidden {
        let (clat, clon) = (
            ((lat / 0.1_f64).floor() + 0.5) * 0.1,
            ((lon / 0.1_f64).floor() + 0.5) * 0.1,
        );
        let to_centre = haversine(*lat, *lon, clat, clon);
        assert!(to_centre > 0.5, "the test place is not at its cell centre");
        for sort in ["distance", "name", "created", "updated", "next_meeting"] {
            for radius in [0.1, 0.5] {
                let path = format!(
                    "/v1/groups?near={lat},{lon}&radius_km={radius}&sort={sort}&include_online=true"
                );
                let page = app.get(&path).await;
                check(&path, &page.text);
                let page = page.expect(200);
                for item in page["data"].as_array().unwrap() {
                    assert!(
                        item["distance_km"].is_null(),
                        "{path}: a hidden place is found at its street: {item}"
                    );
                }
            }
        }
        // Far enough to reach the cell centre: the distance is to the centre.
        let path = format!("/v1/groups?near={lat},{lon}&radius_km=20&q=heron");
        let page = app.get(&path).await;
        check(&path, &page.text);
        let page = page.expect(200);
        let item = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| {
                g["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Heron circle"))
            })
            .cloned()
            .unwrap_or_else(|| panic!("{path}: the hidden group: {page}"));
        let d = haversine(*lat, *lon, clat, clon);
        let shown = item["distance_km"].as_f64().expect("a distance");
        assert_eq!(shown, shown_distance(d, vis), "{path}: {item}");
        assert!(shown > 0.0, "{path}: not at distance 0");
        if *vis == "on_request" {
            assert!(shown >= 1.0 && shown.fract() == 0.0, "{path}: {shown}");
        }
        // At the cell centre itself: 0.0 for area_only, 1 for on_request.
        let path = format!("/v1/groups?near={clat},{clon}&radius_km=0.1");
        let page = app.get(&path).await;
        check(&path, &page.text);
        let page = page.expect(200);
        let data = page["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{path}: {page}");
        let want = if *vis == "on_request" { 1.0 } else { 0.0 };
        assert_eq!(data[0]["distance_km"], json!(want), "{path}");
        paths.push(format!(
            "/v1/groups?near={clat},{clon}&radius_km=3&facets=format"
        ));
    }
    for path in &paths {
        let reply = app.get(path).await;
        assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
        check(path, &reply.text);
    }
    // The organization itself still sees its street.
    let own = app
        .get_auth(&format!("/v1/groups/{}", ids[0]), &org.token)
        .await;
    assert!(own.text.contains("Wisteria"), "the owner sees the address");
}
