//! Invalid discovery queries are refused with a 400 naming the parameter.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn invalid_discovery_queries_are_refused() {
    let app = spawn_app().await;
    let org = app.org("Refusers").await;
    for i in 0..3 {
        app.published_group(&org.token, json!({"name": format!("Lantern {i}")}))
            .await;
    }
    let long_q = "a".repeat(201);
    let cases: Vec<(String, &str)> = vec![
        ("near=abc".into(), "near"),
        ("near=51.5".into(), "near"),
        ("near=91,0".into(), "near"),
        ("near=0,181".into(), "near"),
        ("near=NaN,0".into(), "near"),
        ("near=51.5,-0.1&radius_km=0".into(), "radius_km"),
        ("near=51.5,-0.1&radius_km=501".into(), "radius_km"),
        ("near=51.5,-0.1&radius_km=-3".into(), "radius_km"),
        ("radius_km=5".into(), "radius_km"),
        ("include_online=true".into(), "include_online"),
        ("sort=relevance".into(), "sort"),
        ("q=the&sort=relevance".into(), "sort"),
        ("sort=distance".into(), "sort"),
        ("sort=nearest".into(), "sort"),
        ("time_from=18:00&time_to=18:00".into(), "time_to"),
        ("time_from=20:00&time_to=09:00".into(), "time_to"),
        ("time_from=25:00".into(), "time_from"),
        ("time_to=7pm".into(), "time_to"),
        ("day=funday".into(), "day"),
        ("day=mon,xyz".into(), "day"),
        ("timezone=Mars/Olympus".into(), "timezone"),
        ("timezone=%2B02:00".into(), "timezone"),
        ("facets=topic,colour".into(), "facets"),
        (format!("q={long_q}"), "q"),
        ("starts_before=tomorrow".into(), "starts_before"),
    ];
    for (query, field) in &cases {
        let reply = app.get(&format!("/v1/groups?{query}")).await;
        assert_eq!(reply.status.as_u16(), 400, "{query}: {}", reply.text);
        let body = reply.json();
        let text = body.to_string();
        assert!(
            text.contains(field),
            "{query}: the problem names `{field}`: {text}"
        );
    }
    // 200 characters is fine; `time_to=00:00` is midnight at the end of the day.
    app.get(&format!("/v1/groups?q={}", "a".repeat(200)))
        .await
        .expect(200);
    app.get("/v1/groups?time_from=18:00&time_to=00:00")
        .await
        .expect(200);

    // A cursor belongs to its sort.
    let page = app.get("/v1/groups?sort=name&limit=1").await.expect(200);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    for other in ["created", "updated", "next_meeting"] {
        app.get(&format!("/v1/groups?sort={other}&limit=1&cursor={cursor}"))
            .await
            .problem(400, "invalid_cursor");
    }
    app.get(&format!("/v1/groups?limit=1&cursor={cursor}"))
        .await
        .problem(400, "invalid_cursor");
    app.get(&format!("/v1/groups?q=lantern&limit=1&cursor={cursor}"))
        .await
        .problem(400, "invalid_cursor");
    app.get(&format!("/v1/groups?sort=name&limit=1&cursor={cursor}"))
        .await
        .expect(200);
    let page = app.get("/v1/groups?q=lantern&limit=1").await.expect(200);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    app.get(&format!(
        "/v1/groups?q=lantern&sort=name&limit=1&cursor={cursor}"
    ))
    .await
    .problem(400, "invalid_cursor");
    let page = app
        .get("/v1/groups?near=51.5,-0.1&radius_km=50&limit=1")
        .await
        .expect(200);
    assert!(page["next_cursor"].is_null(), "online groups have no place");
}
