//! What the sync tests share: the kinds of listing with rich bodies, and
//! readers of a bulk sync's answer.

use serde_json::{json, Value};

use crate::helpers::{event_body, in_person_body, merge, resource_body};

/// One kind of listing, as the sync routes see it.
pub struct Kind {
    /// Path segment: `groups`, `events`, `resources`.
    pub plural: &'static str,
    /// Change-feed type: `group`, `event`, `resource`.
    pub feed_type: &'static str,
    /// A full, published, rich body (no `external_id`).
    pub body: fn() -> Value,
    /// A change to that body.
    pub change: fn() -> Value,
    /// An invalid body and the field its problem names.
    pub invalid: fn() -> (Value, &'static str),
}

/// Rich bodies: every normalization the service does (language tags,
/// sorted lists, trimmed names, coordinates, decimal amounts) must still let
/// the same body compare equal the second time.
pub fn rich_group() -> Value {
    in_person_body(json!({
        "name": "  Wednesday carers' circle  ",
        "topics": ["caregiving", "anxiety", "caregiving"],
        "facilitation": "co_facilitated",
        "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=WE", "starts_at": "2030-01-02T18:30:00",
                     "timezone": "Europe/London", "duration_minutes": 90},
        "recovery_stages": ["rebuilding", "awareness"],
        "support_types": ["informational", "emotional"],
        "languages": ["EN-gb", "cy", "en-GB"],
        "audience": ["family members", "carers"],
        "content_notes": ["illness", "loss"],
        "cost": {"kind": "sliding_scale", "amount": "12.50", "currency": "GBP"},
        "capacity": 14,
        "accessibility": "Step-free access; hearing loop.",
        "confidentiality_policy": "What is said here stays here.",
        "anonymous_participation": true,
        "contact": {"email": "circle@example.org", "phone": "+44 20 7946 0001"},
        "status": "published"
    }))
}

pub fn rich_event() -> Value {
    event_body(json!({
        "name": "Monthly open evening",
        "topics": ["general", "depression"],
        "starts_at": "2030-02-05T18:00:00",
        "ends_at": "2030-02-05T20:00:00",
        "timezone": "Europe/Berlin",
        "rrule": "FREQ=MONTHLY;BYDAY=1TU;COUNT=10",
        "exdates": ["2030-05-07T18:00:00", "2030-03-05T18:00:00"],
        "cost": {"kind": "donation"},
        "capacity": 40,
        "registration_url": "https://example.org/register",
        "listing_status": "published"
    }))
}

pub fn rich_resource() -> Value {
    resource_body(json!({
        "name": "Night line",
        "url": "https://nightline.example.org/",
        "kind": "hotline",
        "topics": ["general", "anxiety"],
        "languages": ["EN", "pt-br"],
        "crisis": true,
        "phone": "+44 20 7946 0000",
        "country": "GB",
        "status": "published"
    }))
}

pub const KINDS: [Kind; 3] = [
    Kind {
        plural: "groups",
        feed_type: "group",
        body: rich_group,
        change: || json!({"name": "Wednesday carers' circle (new room)", "capacity": 16}),
        invalid: || (json!({"format": "teleport"}), "format"),
    },
    Kind {
        plural: "events",
        feed_type: "event",
        body: rich_event,
        change: || json!({"name": "Monthly open evening (moved)", "capacity": 30}),
        invalid: || (json!({"timezone": "+02:00"}), "timezone"),
    },
    Kind {
        plural: "resources",
        feed_type: "resource",
        body: rich_resource,
        change: || json!({"summary": "Open every night from 6pm to 6am."}),
        invalid: || (json!({"kind": "pamphlet"}), "kind"),
    },
];

pub fn with(mut body: Value, patch: Value) -> Value {
    merge(&mut body, &patch);
    body
}

pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

pub fn result(answer: &Value, index: usize) -> &Value {
    let r = &answer["results"][index];
    assert_eq!(r["index"], index, "results are in request order: {answer}");
    r
}

pub fn counts(answer: &Value) -> Value {
    answer["counts"].clone()
}

pub fn expected_counts(pairs: &[(&str, u64)]) -> Value {
    let mut c = json!({"created": 0, "updated": 0, "unchanged": 0, "deleted": 0,
                       "not_found": 0, "failed": 0, "rolled_back": 0});
    for (k, v) in pairs {
        c[*k] = json!(v);
    }
    c
}

/// The field names of a failed item's problem.
pub fn problem_fields(r: &Value) -> Vec<String> {
    assert_eq!(r["outcome"], "failed", "{r}");
    r["problem"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("a failed item lists its fields: {r}"))
        .iter()
        .map(|e| s(&e["field"]))
        .collect()
}
