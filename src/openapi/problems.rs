//! The problem answers most operations share, declared once here rather
//! than on every handler: an operation's annotation lists its successes and
//! the problems that are its own; this pass adds, where the annotation says
//! nothing for that status, what follows from the operation's shape:
//!
//! - a bearer token: `401` (missing or invalid; with an optional token,
//!   only an invalid one), and `403` for listing writes (the
//!   `listings:write` scope);
//! - a JSON body: `400` malformed (or a malformed id), `413`, `415`, `422`;
//! - an `{id}` path: `400` for a malformed id, `404` naming the listing
//!   ("published" for reads, "of yours" for writes), and `409` for a
//!   listing's `external_id` on writes with a body;
//! - `If-Match`: `412`.
//!
//! It also documents conditional reads once ([`conditional_reads`]): every
//! `GET` answering JSON takes `If-None-Match` and may answer `304`.

use serde_json::{json, Map, Value};

/// Kinds of listing whose writes need the `listings:write` scope, by tag.
const LISTING_TAGS: &[&str] = &["groups", "events", "resources", "sync"];

pub fn standard_problems(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if let Some(op) = op.as_object_mut() {
                for (status, description) in problems_of(path, method, op) {
                    let responses = op
                        .entry("responses")
                        .or_insert_with(|| json!({}))
                        .as_object_mut();
                    if let Some(r) = responses {
                        r.entry(status).or_insert_with(|| problem(&description));
                    }
                }
            }
        }
    }
}

/// Every operation but the health probes is rate limited
/// (`crate::ratelimit`): it may answer `429`, with `Retry-After` and the
/// `RateLimit` headers.
pub fn rate_limits(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for op in operations {
        if op["tags"][0] == "operations" {
            continue;
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            responses
                .entry("429")
                .or_insert_with(|| json!({"$ref": "#/components/responses/TooManyRequests"}));
        }
    }
    let mut answer = problem(
        "Too many requests: a rate limit refused this one (`rate_limited`); retry after `Retry-After` seconds",
    );
    answer["headers"] = json!({
        "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}},
        "RateLimit-Policy": {"description": "The policy that refused the request, e.g. `\"reads\";q=1200;w=60` (requests in a 60-second window)", "schema": {"type": "string"}},
        "RateLimit": {"description": "What is left of it, e.g. `\"reads\";r=0;t=3` (requests remaining, seconds until more)", "schema": {"type": "string"}},
        "X-Request-Id": {
            "description": "This request's id (yours, when you sent a sane `X-Request-Id`); quote it when you report a problem.",
            "schema": { "type": "string" },
            "example": "0193a5b1-2b7e-7c11-8f3a-1d2e3f4a5b6c"
        },
    });
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        let responses = components.entry("responses").or_insert_with(|| json!({}));
        responses["TooManyRequests"] = answer;
    }
}

/// Every `GET` that answers JSON (the health probes aside) is cached by
/// `ETag`: it takes `If-None-Match`, as its first parameter, and may answer
/// `304 Not Modified`.
pub fn conditional_reads(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for op in paths.values_mut().filter_map(|item| item.get_mut("get")) {
        let json_answer = op
            .pointer("/responses/200/content/application~1json")
            .is_some();
        if !json_answer || op["tags"][0] == "operations" {
            continue;
        }
        let Some(op) = op.as_object_mut() else {
            continue;
        };
        let params = op.entry("parameters").or_insert_with(|| json!([]));
        if let Some(params) = params.as_array_mut() {
            params.insert(
                0,
                json!({"description": "An `ETag` from an earlier answer; if it still matches, the answer is `304 Not Modified` with no body",
                    "in": "header", "name": "If-None-Match", "required": false,
                    "schema": {"type": ["string", "null"]}}),
            );
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            responses.insert(
                "304".into(),
                json!({"description": "Not modified: your `If-None-Match` still matches"}),
            );
        }
    }
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// What an operation may answer by its shape: (status, description).
fn problems_of(path: &str, method: &str, op: &Map<String, Value>) -> Vec<(String, String)> {
    let security = op.get("security").cloned().unwrap_or(Value::Null);
    let bearer_only = security == json!([{"bearer": []}]);
    let optional_bearer = security == json!([{}, {"bearer": []}]);
    let body = op.contains_key("requestBody");
    let has_param = |name: &str| {
        op.get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == name))
    };
    let tag = op["tags"][0].as_str().unwrap_or_default();
    // `/v1/groups/{id}…`: the listing an `{id}` names, e.g. `group`.
    let noun = path
        .strip_prefix("/v1/")
        .filter(|p| p.contains("/{id}"))
        .and_then(|p| p.split('/').next())
        .and_then(|plural| plural.strip_suffix('s'))
        .filter(|_| LISTING_TAGS.contains(&tag) || tag == "calendars");
    let mut out: Vec<(&str, String)> = Vec::new();
    if bearer_only {
        out.push(("401", "Missing or invalid token".into()));
        if LISTING_TAGS.contains(&tag) {
            out.push(("403", "The token lacks the `listings:write` scope".into()));
        }
    }
    if optional_bearer {
        out.push(("401", "A token was sent and is invalid".into()));
    }
    if body {
        out.push(("413", "Body too large".into()));
        out.push(("415", "Body is not JSON".into()));
        out.push(("422", "Invalid fields".into()));
    }
    if let Some(noun) = noun {
        out.push(match body {
            true => ("400", "Malformed JSON or id".into()),
            false => ("400", "The id is not a UUID".into()),
        });
        out.push(match method {
            "get" => ("404", format!("No such published {noun}")),
            _ => ("404", format!("No such {noun} of yours")),
        });
        if body {
            out.push((
                "409",
                format!("`external_id` already used by another of your {noun}s"),
            ));
        }
    } else if body {
        out.push(("400", "Malformed JSON".into()));
    }
    if has_param("If-Match") {
        out.push((
            "412",
            "`If-Match` names an older version: someone changed the listing; read it again".into(),
        ));
    }
    out.into_iter().map(|(s, d)| (s.to_owned(), d)).collect()
}
