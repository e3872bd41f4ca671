//! What the event tests share.

use serde_json::Value;

use crate::helpers::TestApp;

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// Ids of every public event, walking all pages.
pub async fn public_event_ids(app: &TestApp, query: &str) -> Vec<String> {
    app.walk(&format!("/v1/events?{query}"), 100)
        .await
        .iter()
        .map(id_of)
        .collect()
}
