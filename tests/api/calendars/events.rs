//! The events feed (`GET /v1/events.ics`): its query parameters.

use crate::helpers::spawn_app;

/// Found by schemathesis: the events feed accepted `limit=0` and any
/// `cursor`, which its documented parameters reject; they are now checked
/// like on `GET /v1/events` (the feed itself is not paged).
#[tokio::test]
async fn events_feed_checks_limit_and_cursor_like_the_json_list() {
    let app = spawn_app().await;
    app.get("/v1/events.ics?limit=0")
        .await
        .problem(400, "invalid_query");
    app.get("/v1/events.ics?limit=101")
        .await
        .problem(400, "invalid_query");
    let bad_cursor = app.get("/v1/events.ics?cursor=not-a-cursor").await;
    assert_eq!(bad_cursor.status.as_u16(), 400, "{}", bad_cursor.text);
    let ok = app.get("/v1/events.ics?limit=100").await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
}
