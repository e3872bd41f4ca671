//! Creating listings and reading the public lists whole (every page).

use serde_json::{json, Value};

use super::app::TestApp;
use super::bodies::{event_body, group_body};

impl TestApp {
    /// Create a group and return its JSON (asserting 201).
    pub async fn create_group(&self, token: &str, body: &Value) -> Value {
        self.post("/v1/groups", token, body).await.expect(201)
    }

    /// Create a published group with overrides and return its id.
    pub async fn published_group(&self, token: &str, overrides: Value) -> String {
        let mut body = group_body(overrides);
        body["status"] = json!("published");
        let g = self.create_group(token, &body).await;
        g["id"].as_str().expect("a group id").to_owned()
    }

    /// Every group of the public list for a query, walking all pages.
    pub async fn list_all(&self, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if query.is_empty() { "" } else { "&" };
            let path = match &cursor {
                None => format!("/v1/groups?{query}{sep}limit=100"),
                Some(c) => format!("/v1/groups?{query}{sep}limit=100&cursor={c}"),
            };
            let page = self.get(&path).await.expect(200);
            out.extend(page["data"].as_array().expect("data").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return out,
            }
        }
    }

    /// Ids of every group of the public list for a query.
    pub async fn list_ids(&self, query: &str) -> Vec<String> {
        self.list_all(query)
            .await
            .iter()
            .map(|g| g["id"].as_str().expect("id").to_owned())
            .collect()
    }
}

impl TestApp {
    /// Create an event and return its JSON (asserting 201).
    pub async fn create_event(&self, token: &str, body: &Value) -> Value {
        self.post("/v1/events", token, body).await.expect(201)
    }

    /// Create a published event from `event_body(overrides)`; returns its JSON.
    pub async fn published_event(&self, token: &str, overrides: Value) -> Value {
        let mut body = event_body(overrides);
        body["listing_status"] = json!("published");
        self.create_event(token, &body).await
    }

    /// Every item of a paged list (events or occurrences) at `path` (which
    /// already has a query string), walking `next_cursor` with page size
    /// `limit`.
    pub async fn walk(&self, path: &str, limit: u32) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let url = match &cursor {
                None => format!("{path}&limit={limit}"),
                Some(c) => format!("{path}&limit={limit}&cursor={c}"),
            };
            let page = self.get(&url).await.expect(200);
            let data = page["data"].as_array().expect("data").clone();
            assert!(data.len() <= limit as usize, "page larger than {limit}");
            out.extend(data);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return out,
            }
        }
        panic!("{path}: pages never end");
    }

    /// Every occurrence of the public events in `[from, to)` with `filters`
    /// (e.g. `organization=…`), walking pages of 100.
    pub async fn occurrences(&self, from: &str, to: &str, filters: &str) -> Vec<Value> {
        let sep = if filters.is_empty() { "" } else { "&" };
        self.walk(
            &format!("/v1/events?from={from}&to={to}{sep}{filters}"),
            100,
        )
        .await
    }
}

/// The `name` of every item of a page (`data`), in order.
pub fn names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}
