//! Valid request bodies for groups, events and resources, each with overrides
//! merged in as an RFC 7396 merge patch (`merge`).

use serde_json::{json, Value};

/// A valid online group body, with `overrides` merged in (RFC 7396 merge:
/// `null` removes a member).
pub fn group_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Thursday anxiety circle",
        "summary": "Talk about worry with people who get it.",
        "topics": ["anxiety"],
        "format": "online",
        "facilitation": "peer_led",
        "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TH", "starts_at": "2026-01-08T19:00:00",
                     "timezone": "Europe/London", "duration_minutes": 60},
        "recovery_stages": ["awareness"],
        "support_types": ["emotional"],
        "languages": ["en"],
        "online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/circles-anxiety-thursday"}
    });
    merge(&mut body, &overrides);
    body
}

/// A valid in-person group body with a full address, with `overrides`.
pub fn in_person_body(overrides: Value) -> Value {
    let mut body = group_body(json!({
        "name": "Monday grief circle",
        "topics": ["grief"],
        "format": "in_person",
        "online": null,
        "location": {"visibility": "area_only", "name": "St Anne's community hall",
                     "street_address": "12 Cedar Road", "locality": "London",
                     "region": "Greater London", "postal_code": "N1 7AA", "country": "GB",
                     "latitude": 51.5362, "longitude": -0.1034}
    }));
    merge(&mut body, &overrides);
    body
}

/// RFC 7396 merge of `patch` into `doc`.
pub fn merge(doc: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !doc.is_object() {
                *doc = json!({});
            }
            let d = doc.as_object_mut().expect("an object");
            for (k, v) in p {
                if v.is_null() {
                    d.remove(k);
                } else {
                    merge(d.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *doc = other.clone(),
    }
}

/// A valid online event body (a one-off in 2027, London time), with
/// `overrides` merged in (RFC 7396: `null` removes a member).
pub fn event_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Open day: meet the peer supporters",
        "summary": "Drop in, have a cup of tea, ask anything.",
        "topics": ["general"],
        "starts_at": "2027-01-16T11:00:00",
        "ends_at": "2027-01-16T15:00:00",
        "timezone": "Europe/London",
        "format": "online",
        "online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/circles-open-day"}
    });
    merge(&mut body, &overrides);
    body
}

/// A valid resource body (a published-ready guide), with `overrides`.
pub fn resource_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Understanding low mood",
        "url": "https://example.org/guides/low-mood",
        "kind": "guide",
        "summary": "A short, kind guide to what low mood is and what helps.",
        "topics": ["depression"],
        "languages": ["en"],
        "crisis": false
    });
    merge(&mut body, &overrides);
    body
}
