//! Finishing touches on the generated document that utoipa's annotations
//! cannot say, applied by rules so new operations get them too:
//!
//! - comma-separated list parameters (`style: form`, `explode: false`) carry
//!   their example as the array it stands for (`"grief,trauma"` becomes
//!   `["grief", "trauma"]`), as OpenAPI requires; lists of vocabulary values
//!   have `minItems: 1` (an empty value is refused);
//! - path parameters documented as "(UUID)" get `format: uuid`;
//! - a JSON Merge Patch body (`application/merge-patch+json`) gets a schema
//!   of its own, `<Name>Patch`: every field optional (RFC 7396), optional
//!   fields nullable (`null` clears them), nested objects likewise;
//! - a `oneOf` of only `$ref`s (an untagged choice whose members can match
//!   the same value, such as an empty page) becomes `anyOf`;
//! - parameters without an example get one by their name (`If-Match`,
//!   `If-None-Match`, cursors, UUIDs, client ids);
//! - an optional request body (`Option<T>` in `request_body`, which utoipa
//!   spells as `oneOf: [null, T]`) is `T` with `required: false`: the body
//!   may be left out, and a JSON `null` is no more accepted than elsewhere;
//! - every response documents `X-Request-Id`, which the request-id
//!   middleware sends on every answer;
//! - OpenAPI links from each create (`201`) to the operations on the created
//!   listing that take the creator's token, so generated clients and
//!   stateful testers can follow them (public-only reads such as a group's
//!   calendar feed answer 404 until the listing is published, so no link
//!   promises them a new draft);
//! - free text that `validate::Checks::text` (or `line`) checks is marked
//!   `pattern = "circles:text"` (or `"circles:line"`) on its field; here the
//!   marker becomes the regular expression of what the check accepts (not
//!   blank, no control characters but tabs and, for text, line breaks), and
//!   list items of free text get the same with their length limits;
//! - the rules across fields that writes are held to, as JSON Schema
//!   (`if`/`then` in `allOf`), so a body the document calls valid is one the
//!   service accepts: the place a format needs (`location` for `in_person`
//!   and `hybrid`, with its locality and country; `online` for `online` and
//!   `hybrid`), a cohort's dates exactly for `cohort` enrollment, a cost's
//!   amount and currency by its kind. Merge-patch schemas do not get them: a
//!   patch is checked after it is merged onto the stored listing;
//! - schemas without an example of their own get the one in
//!   [`examples.json`](examples.json) (answers of the service, recorded from
//!   a run and tidied), so every request body and main response has one.

use serde_json::{json, Map, Value};

use super::rules;
use crate::pagination::Cursor;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

pub fn refine(doc: &mut Value) {
    list_examples_and_uuid_paths(doc);
    parameter_examples(doc);
    request_id_header(doc);
    optional_bodies(doc);
    merge_patch_schemas(doc);
    untagged_choices(doc);
    rules::text_patterns(doc);
    rules::cross_field_rules(doc);
    schema_examples(doc);
    links(doc);
}

fn operations_mut(doc: &mut Value) -> Vec<&mut Map<String, Value>> {
    let mut out = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            if let Some(item) = item.as_object_mut() {
                for (method, op) in item.iter_mut() {
                    if METHODS.contains(&method.as_str()) {
                        if let Some(op) = op.as_object_mut() {
                            out.push(op);
                        }
                    }
                }
            }
        }
    }
    out
}

fn list_examples_and_uuid_paths(doc: &mut Value) {
    for op in operations_mut(doc) {
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            continue;
        };
        for p in params.iter_mut().filter_map(Value::as_object_mut) {
            let is_array = p
                .get("schema")
                .and_then(|s| s.get("type"))
                .is_some_and(|t| {
                    t == "array" || t.as_array().is_some_and(|a| a.contains(&json!("array")))
                });
            // A comma-separated list of vocabulary values names at least one
            // (`extract::vocab_list`): `topic=` is no list of topics.
            let of_vocabulary = p
                .get("schema")
                .and_then(|s| s.pointer("/items/$ref"))
                .is_some();
            if is_array && of_vocabulary {
                if let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) {
                    schema.insert("minItems".into(), json!(1));
                }
            }
            if is_array {
                if let Some(Value::String(example)) = p.get("example") {
                    let items: Vec<Value> = example
                        .split(',')
                        .map(|s| Value::String(s.trim().to_owned()))
                        .collect();
                    p.insert("example".into(), Value::Array(items));
                }
            }
            let uuid_path = p.get("in").is_some_and(|v| v == "path")
                && p.get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| d.contains("(UUID)"));
            if uuid_path {
                if let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) {
                    schema.insert("format".into(), json!("uuid"));
                }
            }
        }
    }
}

fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

fn merge_patch_schemas(doc: &mut Value) {
    let mut wanted = Vec::new();
    for op in operations_mut(doc) {
        let content = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(|c| c.get_mut("application/merge-patch+json"))
            .and_then(|m| m.get_mut("schema"));
        if let Some(schema) = content {
            if let Some(name) = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(schema_name)
            {
                let name = name.to_owned();
                *schema = json!({ "$ref": format!("#/components/schemas/{name}Patch") });
                wanted.push(name);
            }
        }
    }
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let mut made = Map::new();
    while let Some(name) = wanted.pop() {
        let patch_name = format!("{name}Patch");
        if made.contains_key(&patch_name) || schemas.contains_key(&patch_name) {
            continue;
        }
        let Some(original) = schemas.get(&name) else {
            continue;
        };
        let patch = patch_of(original, &schemas, &mut wanted);
        made.insert(patch_name, patch);
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.extend(made);
    }
}

/// The merge-patch form of an object schema: no required fields, optional
/// ones nullable, nested object references patched in turn.
fn patch_of(original: &Value, schemas: &Map<String, Value>, wanted: &mut Vec<String>) -> Value {
    let mut patch = original.clone();
    let Some(obj) = patch.as_object_mut() else {
        return patch;
    };
    let required: Vec<String> = obj
        .remove("required")
        .and_then(|r| serde_json::from_value(r).ok())
        .unwrap_or_default();
    if let Some(desc) = obj.get("description").and_then(Value::as_str) {
        let desc = format!(
            "{desc}\n\nAs a JSON Merge Patch (RFC 7396): send only the fields to change; `null` clears an optional field."
        );
        obj.insert("description".into(), Value::String(desc));
    }
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            patch_refs(prop, schemas, wanted);
            if !required.contains(name) {
                make_nullable(prop);
            }
        }
    }
    patch
}

/// Point `$ref`s to object schemas (directly or in `oneOf`/`anyOf`) at their
/// patch form; arrays are replaced whole by a merge patch, so they stay.
fn patch_refs(schema: &mut Value, schemas: &Map<String, Value>, wanted: &mut Vec<String>) {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(schema_name)
    {
        let is_object = schemas
            .get(name)
            .is_some_and(|s| s.get("properties").is_some());
        if is_object {
            let name = name.to_owned();
            schema["$ref"] = json!(format!("#/components/schemas/{name}Patch"));
            wanted.push(name);
        }
        return;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(members) = schema.get_mut(key).and_then(Value::as_array_mut) {
            for m in members {
                patch_refs(m, schemas, wanted);
            }
        }
    }
}

fn make_nullable(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let null = json!("null");
    for key in ["oneOf", "anyOf"] {
        if let Some(members) = obj.get(key).and_then(Value::as_array) {
            if members.iter().any(|m| m.get("type") == Some(&null)) {
                return;
            }
        }
    }
    if obj.contains_key("$ref") || obj.contains_key("oneOf") || obj.contains_key("anyOf") {
        let inner = std::mem::take(obj);
        let description = inner.get("description").cloned();
        let mut wrapped = Map::new();
        wrapped.insert(
            "oneOf".into(),
            json!([{ "type": "null" }, Value::Object(inner)]),
        );
        if let Some(d) = description {
            wrapped.insert("description".into(), d);
        }
        *obj = wrapped;
        return;
    }
    match obj.get_mut("type") {
        Some(Value::String(t)) => {
            let t = t.clone();
            if t != "null" {
                obj.insert("type".into(), json!([t, "null"]));
            }
        }
        Some(Value::Array(types)) => {
            if !types.contains(&null) {
                types.push(null.clone());
            }
        }
        _ => return,
    }
    if let Some(values) = obj.get_mut("enum").and_then(Value::as_array_mut) {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
}

fn untagged_choices(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(obj) = schema.as_object_mut() else {
            continue;
        };
        let all_refs = obj
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|m| m.len() > 1 && m.iter().all(|s| s.get("$ref").is_some()));
        if all_refs && !obj.contains_key("discriminator") {
            let members = obj.remove("oneOf").unwrap_or_default();
            obj.insert("anyOf".into(), members);
        }
    }
}

/// Links from a `201` answer at `P` (a create) or `P/...` (an upsert by
/// external id) to every operation on `C/{param}` whose collection `C` is
/// `P` or the upsert's collection, with `param` taken from the body's `id`.
fn links(doc: &mut Value) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object).cloned() else {
        return;
    };
    // (path, method, operationId, the single path parameter's name) of the
    // operations that accept a bearer token.
    let mut targets: Vec<(String, String, String, String)> = Vec::new();
    for (path, item) in &paths {
        let params: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        if params.len() != 1 {
            continue;
        }
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let takes_token = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if !takes_token {
                continue;
            }
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                targets.push((
                    path.clone(),
                    method.to_string(),
                    id.to_owned(),
                    params[0].to_owned(),
                ));
            }
        }
    }
    for (path, item) in &paths {
        for method in ["post", "put"] {
            let Some(created) = item.pointer(&format!("/{method}/responses/201")) else {
                continue;
            };
            let has_id = created
                .pointer("/content/application~1json/schema")
                .is_some_and(|s| s.get("$ref").is_some() || s.pointer("/properties/id").is_some());
            if !has_id {
                continue;
            }
            // The collection: the path itself for a create, or what comes
            // before `/by-external-id/` for an upsert.
            let collection = match path.split_once("/by-external-id/") {
                Some((c, _)) => c.to_owned(),
                None if method == "post" && !path.contains('{') => path.clone(),
                None => continue,
            };
            let mut out = Map::new();
            for (target, target_method, op_id, param) in &targets {
                let Some(rest) = target.strip_prefix(&format!("{collection}/{{{param}}}")) else {
                    continue;
                };
                if rest.contains('{') || target.contains("/by-external-id/") {
                    continue;
                }
                out.insert(
                    op_id.clone(),
                    json!({
                        "operationId": op_id,
                        "parameters": { param: "$response.body#/id" },
                        "description": format!(
                            "The new listing's `id` is `{{{param}}}` in `{} {target}`",
                            target_method.to_uppercase()
                        ),
                    }),
                );
            }
            if !out.is_empty() {
                if let Some(resp) = doc
                    .pointer_mut(&format!(
                        "/paths/{}/{method}/responses/201",
                        path.replace('~', "~0").replace('/', "~1")
                    ))
                    .and_then(Value::as_object_mut)
                {
                    resp.insert("links".into(), Value::Object(out));
                }
            }
        }
    }
}

const EXAMPLE_UUID: &str = "0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f01";

/// A cursor that the operation's list accepts together with its other
/// parameter examples (a client trying the examples as one request gets a
/// page, not `400`): `listGroups`' examples sort by `next_meeting`, the
/// events examples ask for a window, resources are ranked by `q` and carry
/// their crisis flag first (see where each list makes its cursors).
fn cursor_example(operation: &str) -> String {
    let cursor = match operation {
        "listGroups" => Cursor {
            after_id: EXAMPLE_UUID.into(),
            key: Some("2027-01-06T18:00:00".into()),
            sort: Some("next_meeting".into()),
        },
        // With `from` and `to`, events are listed by occurrence: the key is
        // the last occurrence's start.
        "listEvents" | "getEventsCalendar" => {
            Cursor::after_keyed("2027-01-06T18:00:00+00:00", EXAMPLE_UUID)
        }
        "listResources" => Cursor::after_keyed("1:-2.5", EXAMPLE_UUID),
        "listChanges" => Cursor::after("1"),
        _ => Cursor::after(EXAMPLE_UUID),
    };
    cursor.encode()
}

fn parameter_examples(doc: &mut Value) {
    for op in operations_mut(doc) {
        let operation = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            continue;
        };
        for p in params.iter_mut().filter_map(Value::as_object_mut) {
            if p.contains_key("example") || p.contains_key("examples") {
                continue;
            }
            let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
            let schema = p.get("schema").cloned().unwrap_or_default();
            let is_uuid = schema.get("format").is_some_and(|f| f == "uuid");
            let is_array = schema.get("type").is_some_and(|t| t == "array");
            let example = match name {
                "If-Match" | "If-None-Match" => json!("\"3-5e1f0b2c9a7d4e61\""),
                "cursor" | "after" => json!(cursor_example(&operation)),
                "client_id" => json!("cl_0193a5b0c0de7c3a9d2f1e4b5a6c7d8e"),
                _ if is_uuid => json!(EXAMPLE_UUID),
                _ if is_array
                    && p.get("description")
                        .and_then(Value::as_str)
                        .is_some_and(|d| d.contains(" ids")) =>
                {
                    json!([EXAMPLE_UUID])
                }
                _ => continue,
            };
            p.insert("example".into(), example);
        }
    }
}

fn request_id_header(doc: &mut Value) {
    for op in operations_mut(doc) {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        // A shared response (`$ref`) documents its headers where it is defined.
        let own = responses
            .values_mut()
            .filter_map(Value::as_object_mut)
            .filter(|r| !r.contains_key("$ref"));
        for response in own {
            let headers = response
                .entry("headers")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            if let Some(headers) = headers {
                headers.entry("X-Request-Id").or_insert_with(|| {
                    json!({
                        "description": "This request's id (yours, when you sent a sane `X-Request-Id`); quote it when you report a problem.",
                        "schema": { "type": "string" },
                        "example": "0193a5b1-2b7e-7c11-8f3a-1d2e3f4a5b6c"
                    })
                });
            }
        }
    }
}

/// Examples by schema name (see the module documentation).
pub const EXAMPLES: &str = include_str!("examples.json");

fn schema_examples(doc: &mut Value) {
    let examples: Map<String, Value> =
        serde_json::from_str(EXAMPLES).expect("src/openapi/examples.json is a JSON object");
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, example) in examples {
        if let Some(schema) = schemas.get_mut(&name).and_then(Value::as_object_mut) {
            if !schema.contains_key("example") && !schema.contains_key("examples") {
                schema.insert("example".into(), example);
            }
        }
    }
}

fn optional_bodies(doc: &mut Value) {
    for op in operations_mut(doc) {
        let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) else {
            continue;
        };
        let mut optional = false;
        if let Some(content) = body.get_mut("content").and_then(Value::as_object_mut) {
            for media in content.values_mut() {
                let Some(schema) = media.get_mut("schema") else {
                    continue;
                };
                let members = schema.get("oneOf").and_then(Value::as_array).cloned();
                if let Some([a, b]) = members.as_deref() {
                    let null = json!({ "type": "null" });
                    let inner = if *a == null {
                        b
                    } else if *b == null {
                        a
                    } else {
                        continue;
                    };
                    *schema = inner.clone();
                    optional = true;
                }
            }
        }
        if optional {
            body.insert("required".into(), json!(false));
        }
    }
}
