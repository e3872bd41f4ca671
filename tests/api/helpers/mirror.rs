//! The change-feed client (`Mirror`), the public directory it must
//! reproduce (`Directory`), and the comparison of the two.

use reqwest::Method;
use serde_json::Value;

use super::app::TestApp;
use super::requests::send_to;

impl TestApp {
    /// A change-feed client on this app.
    pub fn mirror(&self) -> Mirror {
        Mirror::new(self.client.clone(), &self.address)
    }

    /// The public directory: every listing of the three public lists.
    pub async fn directory(&self) -> Directory {
        directory(&self.client, &self.address).await
    }

    /// Every entry of the change feed after `after` (from the start when
    /// `None`), in pages of `limit`; returns the entries and the cursor to
    /// resume from.
    pub async fn feed_since(&self, after: Option<&str>, limit: u32) -> (Vec<Value>, String) {
        let mut m = self.mirror();
        m.cursor = after.map(str::to_owned);
        m.limit = limit;
        let entries = m.drain().await;
        (entries, m.cursor.expect("a cursor after draining"))
    }

    /// The cursor at the end of the change feed now.
    pub async fn feed_end(&self) -> String {
        self.feed_since(None, 100).await.1
    }
}

/// Listings keyed by `(type, id)`, as the public sees them.
pub type Directory = std::collections::BTreeMap<(String, String), Value>;

/// Every public group, event and resource, walking the list endpoints with
/// their cursors.
pub async fn directory(client: &reqwest::Client, base: &str) -> Directory {
    let mut out = Directory::new();
    for (kind, path) in [
        ("group", "/v1/groups"),
        ("event", "/v1/events"),
        ("resource", "/v1/resources"),
    ] {
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let url = match &cursor {
                None => format!("{path}?limit=100"),
                Some(c) => format!("{path}?limit=100&cursor={c}"),
            };
            let page = send_to(client, base, Method::GET, &url, None, None, &[])
                .await
                .expect(200);
            for item in page["data"].as_array().expect("data") {
                let id = item["id"].as_str().expect("an id").to_owned();
                let previous = out.insert((kind.to_owned(), id.clone()), item.clone());
                assert!(previous.is_none(), "{path} lists {id} twice");
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
    }
    out
}

/// A client that follows only `GET /v1/changes` and applies what it reads.
pub struct Mirror {
    client: reqwest::Client,
    base: String,
    /// The last `next_cursor` (`None`: from the start).
    pub cursor: Option<String>,
    /// Page size.
    pub limit: u32,
    /// The `type` filter, if any (e.g. `group,event`).
    pub types: Option<String>,
    pub listings: Directory,
    /// Entries read so far.
    pub seen: usize,
}

impl Mirror {
    pub fn new(client: reqwest::Client, base: &str) -> Mirror {
        Mirror {
            client,
            base: base.to_owned(),
            cursor: None,
            limit: 100,
            types: None,
            listings: Directory::new(),
            seen: 0,
        }
    }

    /// Read one page, apply it; returns its entries and `has_more`.
    pub async fn poll(&mut self) -> (Vec<Value>, bool) {
        let mut path = format!("/v1/changes?limit={}", self.limit);
        if let Some(c) = &self.cursor {
            path.push_str(&format!("&after={c}"));
        }
        if let Some(t) = &self.types {
            path.push_str(&format!("&type={t}"));
        }
        let page = send_to(
            &self.client,
            &self.base,
            Method::GET,
            &path,
            None,
            None,
            &[],
        )
        .await
        .expect(200);
        let entries = page["data"].as_array().expect("data").clone();
        assert!(entries.len() <= self.limit as usize, "page over the limit");
        for e in &entries {
            self.apply(e);
        }
        self.seen += entries.len();
        let next = page["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("no next_cursor in {page}"));
        if let Some(last) = entries.last() {
            assert_eq!(
                last["cursor"], next,
                "next_cursor is the last entry's cursor"
            );
        }
        self.cursor = Some(next.to_owned());
        (entries, page["has_more"].as_bool().expect("has_more"))
    }

    /// Read until the feed has nothing more; returns what was read.
    pub async fn drain(&mut self) -> Vec<Value> {
        let mut all = Vec::new();
        for _ in 0..100_000 {
            let (entries, more) = self.poll().await;
            let empty = entries.is_empty();
            all.extend(entries);
            if !more || empty {
                return all;
            }
        }
        panic!("the change feed never ends");
    }

    pub fn apply(&mut self, e: &Value) {
        let kind = e["type"].as_str().expect("type").to_owned();
        let id = e["id"].as_str().expect("id").to_owned();
        assert!(e["cursor"].is_string(), "an entry without cursor: {e}");
        assert!(
            e["changed_at"].is_string(),
            "an entry without changed_at: {e}"
        );
        match e["action"].as_str() {
            Some("upsert") => {
                assert_eq!(e["data"]["id"], e["id"], "upsert data is the listing: {e}");
                self.listings.insert((kind, id), e["data"].clone());
            }
            Some("delete") => {
                assert!(e["data"].is_null(), "a tombstone carries no data: {e}");
                self.listings.remove(&(kind, id));
            }
            other => panic!("unknown action {other:?} in {e}"),
        }
    }
}

/// Assert that two directories hold the same listings, field for field.
pub fn assert_same_directory(what: &str, mirror: &Directory, directory: &Directory) {
    let mut problems = Vec::new();
    for (key, listed) in directory {
        match mirror.get(key) {
            None => problems.push(format!("{key:?} is listed but missing from the mirror")),
            Some(m) if m != listed => {
                let mut fields = Vec::new();
                if let (Some(a), Some(b)) = (m.as_object(), listed.as_object()) {
                    for k in a.keys().chain(b.keys()) {
                        if a.get(k) != b.get(k) && !fields.contains(k) {
                            fields.push(k.clone());
                        }
                    }
                }
                problems.push(format!(
                    "{key:?} differs in {fields:?}: mirror {} / list {}",
                    fields
                        .iter()
                        .map(|f| format!("{f}={}", m[f]))
                        .collect::<Vec<_>>()
                        .join(", "),
                    fields
                        .iter()
                        .map(|f| format!("{f}={}", listed[f]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    for key in mirror.keys() {
        if !directory.contains_key(key) {
            problems.push(format!("{key:?} is in the mirror but not listed"));
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(15);
        panic!(
            "{what}: the mirror ({} listings) differs from the directory ({} listings) in {n} places:\n{}",
            mirror.len(),
            directory.len(),
            problems.join("\n")
        );
    }
}
