//! What writes are held to, said in the document so that a body it calls
//! valid is one the service accepts: the free-text patterns that
//! `validate::Checks` applies, and the rules across fields (`if`/`then`).

use serde_json::{json, Value};

/// What `Checks::text` accepts: no control characters but line breaks and
/// tabs, and at least one character that is not white space.
const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$";
/// What `Checks::line` accepts: the same on a single line.
const LINE_PATTERN: &str = "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f]*$";
/// Lists of free text (`Checks::text_list`) by property name, with the
/// longest item; the list itself carries its `maxItems`.
const TEXT_LIST_ITEMS: &[(&str, u64)] = &[("audience", 100), ("content_notes", 200)];

pub(super) fn text_patterns(doc: &mut Value) {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            text_patterns_in(schema);
        }
    }
}

fn text_patterns_in(schema: &mut Value) {
    match schema {
        Value::Object(obj) => {
            match obj.get("pattern").and_then(Value::as_str) {
                Some("circles:text") => {
                    obj.insert("pattern".into(), json!(TEXT_PATTERN));
                }
                Some("circles:line") => {
                    obj.insert("pattern".into(), json!(LINE_PATTERN));
                }
                _ => {}
            }
            if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
                for (name, prop) in props.iter_mut() {
                    let limit = TEXT_LIST_ITEMS
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, l)| *l);
                    if let (Some(limit), Some(items)) = (limit, prop.get_mut("items")) {
                        let is_text = items.get("type").is_some_and(|t| t == "string");
                        if is_text {
                            if let Some(items) = items.as_object_mut() {
                                items.insert("minLength".into(), json!(1));
                                items.insert("maxLength".into(), json!(limit));
                                items.insert("pattern".into(), json!(TEXT_PATTERN));
                            }
                        }
                    }
                }
            }
            for value in obj.values_mut() {
                text_patterns_in(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(text_patterns_in),
        _ => {}
    }
}

pub(super) fn cross_field_rules(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if name.ends_with("Patch") || name.ends_with("Response") {
            continue;
        }
        let Some(obj) = schema.as_object_mut() else {
            continue;
        };
        let has = |p: &str| obj.get("properties").and_then(|ps| ps.get(p)).is_some();
        let mut rules = Vec::new();
        if has("format") && has("location") && has("online") {
            rules.extend(place_rules());
        }
        if has("enrollment") && has("cohort") {
            rules.push(json!({
                "if": { "required": ["enrollment"], "properties": { "enrollment": { "const": "cohort" } } },
                "then": { "required": ["cohort"], "properties": { "cohort": { "type": "object" } } },
                "else": { "properties": { "cohort": { "type": "null" } } }
            }));
        }
        if has("kind") && has("amount") && has("currency") {
            rules.extend(cost_rules());
        }
        if !rules.is_empty() {
            obj.insert("allOf".into(), Value::Array(rules));
        }
    }
}

/// `check_place`: the place a format needs, and what a written location holds.
fn place_rules() -> Vec<Value> {
    let coordinate = |a: &str, b: &str| {
        json!({
            "if": { "required": [a], "properties": { a: { "type": "number" } } },
            "then": { "required": [b], "properties": { b: { "type": "number" } } }
        })
    };
    vec![
        json!({
            "if": { "required": ["format"], "properties": { "format": { "enum": ["in_person", "hybrid"] } } },
            "then": { "required": ["location"], "properties": { "location": { "type": "object" } } }
        }),
        json!({
            "if": { "required": ["format"], "properties": { "format": { "enum": ["online", "hybrid"] } } },
            "then": { "required": ["online"], "properties": { "online": { "type": "object" } } }
        }),
        json!({
            "if": { "required": ["location"], "properties": { "location": { "type": "object" } } },
            "then": { "properties": { "location": {
                "required": ["locality", "country"],
                "properties": {
                    "locality": { "type": "string" },
                    "country": { "type": "string", "pattern": "^[A-Z]{2}$" }
                },
                "allOf": [coordinate("latitude", "longitude"), coordinate("longitude", "latitude")]
            } } }
        }),
    ]
}

/// `Cost::check`: an amount for `paid` (and optionally `sliding_scale`)
/// only, and a currency exactly with an amount.
fn cost_rules() -> Vec<Value> {
    let present = |p: &str| json!({ "required": [p], "properties": { p: { "type": "string" } } });
    vec![
        json!({
            "if": { "required": ["kind"], "properties": { "kind": { "const": "paid" } } },
            "then": present("amount")
        }),
        json!({
            "if": { "required": ["kind"], "properties": { "kind": { "enum": ["free", "donation"] } } },
            "then": { "properties": { "amount": { "type": "null" } } }
        }),
        json!({ "if": present("amount"), "then": present("currency") }),
        json!({ "if": present("currency"), "then": present("amount") }),
    ]
}
