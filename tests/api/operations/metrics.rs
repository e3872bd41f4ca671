//! `GET /metrics` (issue 13, hole 9): scraped and parsed with a Prometheus
//! text-format parser; labels name route templates, never ids or values.

use serde_json::json;

use crate::helpers::{group_body, spawn_app_with};

type Exposition = openmetrics_parser::MetricsExposition<
    openmetrics_parser::PrometheusType,
    openmetrics_parser::PrometheusValue,
>;

fn scrape(text: &str) -> Exposition {
    openmetrics_parser::prometheus::parse_prometheus(text).expect("a Prometheus text exposition")
}

/// The value (a histogram's count) of the first sample of family `name`
/// whose labels include `labels`.
fn value(s: &Exposition, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    use openmetrics_parser::PrometheusValue as V;
    s.families.get(name)?.iter_samples().find_map(|x| {
        let set = x.get_labelset().ok()?;
        if !labels
            .iter()
            .all(|(k, v)| set.get_label_value(k) == Some(*v))
        {
            return None;
        }
        match &x.value {
            V::Counter(c) => Some(c.value.as_f64()),
            V::Gauge(g) | V::Unknown(g) => Some(g.as_f64()),
            V::Histogram(h) => h.count.map(|c| c as f64),
            _ => None,
        }
    })
}

#[tokio::test]
async fn metrics_are_scraped_by_route_template_and_never_name_ids_or_values() {
    let app = spawn_app_with(|c| c.response_cache_seconds = 30).await;
    let org = app.org("Counted Trust").await;
    let id = app.published_group(&org.token, json!({})).await;
    let group_path = format!("/v1/groups/{id}");
    for _ in 0..3 {
        app.get(&group_path).await.expect(200);
    }
    app.get("/v1/groups?topic=grief").await.expect(200);
    app.get("/v1/groups?topic=grief").await.expect(200);
    app.get("/v1/groups/not-a-uuid").await.expect(400);
    let sync = json!({"upsert": [group_body(json!({"external_id": "counted-1"}))]});
    app.post("/v1/sync/groups", &org.token, &sync)
        .await
        .expect(200);

    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    let s = scrape(&text);

    let by_id = value(
        &s,
        "circles_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/v1/groups/{id}"),
            ("status", "200"),
        ],
    );
    assert!(by_id.unwrap_or(0.0) >= 3.0, "{by_id:?}");
    assert!(value(
        &s,
        "circles_http_requests_total",
        &[("route", "/v1/groups/{id}"), ("status", "400")]
    )
    .is_some());
    let timed = value(
        &s,
        "circles_http_request_duration_seconds",
        &[("method", "GET"), ("route", "/v1/groups")],
    );
    assert!(
        timed.unwrap_or(0.0) >= 2.0,
        "latency of /v1/groups: {timed:?}"
    );
    assert!(value(&s, "circles_http_requests_in_flight", &[]).is_some());
    assert!(value(&s, "circles_db_pool_connections", &[]).unwrap() >= 1.0);
    assert!(value(&s, "circles_db_pool_idle_connections", &[]).is_some());
    assert_eq!(value(&s, "circles_db_up", &[]), Some(1.0));
    assert!(
        value(
            &s,
            "circles_response_cache_requests_total",
            &[("outcome", "hit")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(
        value(
            &s,
            "circles_response_cache_requests_total",
            &[("outcome", "miss")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(value(&s, "circles_response_cache_entries", &[]).is_some());
    assert!(value(&s, "circles_changelog_latest_seq", &[]).unwrap() >= 1.0);
    assert!(value(&s, "circles_changelog_lag_seconds", &[]).is_some());
    assert!(
        value(
            &s,
            "circles_sync_items_total",
            &[("kind", "group"), ("outcome", "created")]
        )
        .unwrap()
            >= 1.0
    );
    // Nothing that identifies a listing, a search or a caller.
    for secret in [
        id.as_str(),
        "grief",
        "not-a-uuid",
        org.token.as_str(),
        "counted-1",
    ] {
        assert!(!text.contains(secret), "the metrics show `{secret}`");
    }
}
