//! What the change-feed tests share: feed positions, the kinds of listing,
//! and random valid bodies.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{event_body, group_body, in_person_body, merge, resource_body, Rng};

/// The position a feed cursor stands for. The cursor is opaque to clients;
/// the tests look inside only to check the order of what they read.
pub fn cursor_seq(cursor: &str) -> i64 {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).expect("a base64 cursor");
    let v: Value = serde_json::from_slice(&bytes).expect("a JSON cursor");
    v["a"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a feed position in {v}"))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Group,
    Event,
    Resource,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Group, Kind::Event, Kind::Resource];

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Group => "groups",
            Kind::Event => "events",
            Kind::Resource => "resources",
        }
    }

    pub fn status_field(self) -> &'static str {
        match self {
            Kind::Event => "listing_status",
            _ => "status",
        }
    }
}

pub const TOPICS: [&str; 6] = [
    "anxiety",
    "depression",
    "grief",
    "trauma",
    "caregiving",
    "general",
];

pub const STATUSES: [&str; 4] = ["published", "published", "draft", "archived"];

/// A random valid body of `kind` whose public view cannot change while the
/// test runs (every date is in 2030 or later).
pub fn random_body(rng: &mut Rng, kind: Kind, n: usize, anchor: &str) -> Value {
    let topics = vec![*rng.pick(&TOPICS), *rng.pick(&TOPICS)];
    let status = *rng.pick(&STATUSES);
    match kind {
        Kind::Group => {
            let mut b = if rng.percent(40) {
                let visibility = *rng.pick(&["public", "area_only", "on_request"]);
                in_person_body(json!({"location": {"visibility": visibility}}))
            } else {
                group_body(json!({}))
            };
            merge(
                &mut b,
                &json!({
                    "name": format!("Group {n}"),
                    "topics": topics,
                    "schedule": {"rrule": *rng.pick(&["FREQ=WEEKLY;BYDAY=TH", "FREQ=WEEKLY;BYDAY=MO,WE",
                                                      "FREQ=MONTHLY;BYDAY=1SA"]),
                                 "starts_at": format!("2030-01-{:02}T19:00:00", 1 + rng.below(28))},
                    "capacity": 5 + rng.below(30),
                    "status": status,
                }),
            );
            b
        }
        Kind::Event => {
            let day = 1 + rng.below(28);
            let mut b = event_body(json!({
                "name": format!("Event {n}"),
                "topics": topics,
                "starts_at": format!("2030-04-{day:02}T10:00:00"),
                "ends_at": format!("2030-04-{day:02}T12:30:00"),
                "status": *rng.pick(&["scheduled", "scheduled", "cancelled", "postponed"]),
                "listing_status": status,
            }));
            if rng.percent(30) {
                b["rrule"] = json!("FREQ=WEEKLY;COUNT=6");
            }
            if rng.percent(30) {
                b["group_id"] = json!(anchor);
            }
            b
        }
        Kind::Resource => resource_body(json!({
            "name": format!("Resource {n}"),
            "url": format!("https://example.org/r/{n}"),
            "kind": *rng.pick(&["guide", "article", "hotline", "video", "app"]),
            "topics": topics,
            "crisis": rng.percent(20),
            "status": status,
        })),
    }
}

pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {v}"))
        .to_owned()
}
