//! The endpoints every kind of listing has, routed and documented once:
//!
//! | route | handler | operation |
//! |---|---|---|
//! | `GET /v1/{kind}/{id}` | [`handlers::get`] | `getGroup` … |
//! | `POST /v1/{kind}` | [`handlers::create`] | `createGroup` … |
//! | `PUT /v1/{kind}/{id}` | [`handlers::replace`] | `replaceGroup` … |
//! | `PATCH /v1/{kind}/{id}` | [`handlers::update`] | `updateGroup` … |
//! | `DELETE /v1/{kind}/{id}` | [`handlers::delete`] | `deleteGroup` … |
//! | `PUT /v1/{kind}/by-external-id/{external_id}` | [`handlers::upsert`] | `upsertGroupByExternalId` … |
//! | `POST /v1/sync/{kind}` | [`handlers::sync`] | `syncGroups` … |
//!
//! A kind gives its list handler and the words that are its own
//! ([`Docs`]); its `configure` calls [`configure`], and the OpenAPI
//! document takes these operations from [`document`]. The problems every
//! operation shares are added by `openapi::problems`, as for every other
//! operation.

use actix_web::web;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::{handlers, Listing};
use crate::http::resource;

/// What a kind says of its endpoints that is not the same for every kind.
pub struct Docs {
    /// The description of `GET /v1/{kind}/{id}`.
    pub get: &'static str,
    /// The description of `POST /v1/{kind}`.
    pub create: &'static str,
    /// The description of `PUT /v1/{kind}/{id}`.
    pub replace: &'static str,
    /// The description of `PATCH /v1/{kind}/{id}`.
    pub update: &'static str,
    /// The description of `DELETE /v1/{kind}/{id}`.
    pub delete: &'static str,
    /// An example id for `GET /v1/{kind}/{id}`.
    pub id_example: Option<&'static str>,
    /// The `status` the merge-patch example sets.
    pub update_example_status: &'static str,
    /// The header a `GET /v1/{kind}/{id}` documents on its `200`: name and
    /// description.
    pub read_header: (&'static str, &'static str),
}

/// A kind of listing with the endpoints above.
pub trait Endpoints: Listing<Response: ToSchema> {
    const DOCS: Docs;
}

/// Route the endpoints of `L`; `list` answers `GET /v1/{kind}`.
pub fn configure<L: Endpoints>(cfg: &mut web::ServiceConfig, list: actix_web::Route) {
    let kinds = L::KIND.plural();
    cfg.service(
        resource(&format!("/{kinds}/by-external-id/{{external_id}}"), "PUT")
            .route(web::put().to(handlers::upsert::<L>)),
    )
    .service(
        resource(&format!("/{kinds}"), "GET, HEAD, POST")
            .route(list)
            .route(web::post().to(handlers::create::<L>)),
    )
    .service(
        resource(&format!("/{kinds}/{{id}}"), "GET, HEAD, PUT, PATCH, DELETE")
            .route(web::get().to(handlers::get::<L>))
            .route(web::put().to(handlers::replace::<L>))
            .route(web::patch().to(handlers::update::<L>))
            .route(web::delete().to(handlers::delete::<L>)),
    )
    .service(
        resource(&format!("/sync/{kinds}"), "POST").route(web::post().to(handlers::sync::<L>)),
    );
}

const IF_MATCH: &str = "The `ETag` of the version you edited; if the listing has changed since, the answer is `412 Precondition Failed` and nothing is written";
const IDEMPOTENCY_KEY: &str = "A unique key (a UUID) that makes retrying this request safe: the same key with the same body returns the first answer without creating again; with another body, 422; while the first is still running, 409. Kept at least 24 hours.";
const UPSERT: &str = "The body is a full write; `external_id` may be left out (the path\n\
    gives it). Sending the same body again changes nothing: the answer\n\
    is `200` with the listing, its `version` and `updated_at` unchanged,\n\
    and no change-feed entry.";
const SYNC: &str = "Up to 1,000 items (upserts and deletes together) matched by your\n\
    `external_id`s. The answer lists each item's outcome in request\n\
    order: `created`, `updated`, `unchanged`, `deleted`, `not_found`,\n\
    or `failed` with its problem and field names (prefixed with the\n\
    item, e.g. `upsert[3].format`). Valid items are applied even when\n\
    others fail, unless `atomic=true`.";

/// Add the operations of `L` (and its bulk sync's body schema) to the
/// document, as utoipa would have written them from annotations.
pub fn document<L: Endpoints>(doc: &mut Value) {
    let d = &L::DOCS;
    let kinds = L::KIND.plural();
    let noun = L::NOUN;
    let a_noun = format!("{} {noun}", article(noun));
    let title = capitalized(noun);
    let write = schema_ref(&L::Write::name());
    let response = schema_ref(&L::Response::name());
    let item = format!("/v1/{kinds}/{{id}}");
    let id = |example: Option<&str>| {
        let mut p = json!({"description": format!("The {noun} id (UUID)"), "in": "path",
            "name": "id", "required": true, "schema": {"type": "string"}});
        if let Some(e) = example {
            p["example"] = json!(e);
        }
        p
    };
    let if_match = header_param("If-Match", IF_MATCH);
    let bearer = json!([{"bearer": []}]);
    let (read_header, read_header_description) = d.read_header;
    let mut operations = vec![
        (
            item.clone(),
            "get",
            json!({
                "description": d.get, "operationId": format!("get{title}"), "summary": format!("Get {a_noun}"),
                "parameters": [id(d.id_example)],
                "responses": {
                    "200": {"content": json_content(&response), "description": format!("The {noun}"),
                        "headers": {read_header: {"description": read_header_description, "schema": {"type": "string"}}}},
                },
                "security": [{}, {"bearer": []}], "tags": [kinds],
            }),
        ),
        (
            format!("/v1/{kinds}"),
            "post",
            json!({
                "description": d.create, "operationId": format!("create{title}"), "summary": format!("Create {a_noun}"),
                "parameters": [{"description": IDEMPOTENCY_KEY, "example": "5b4f0c1e-6a4e-4d0c-9a57-0d3c2f1b7e21",
                    "in": "header", "name": "Idempotency-Key", "required": false, "schema": {"type": ["string", "null"]}}],
                "requestBody": {"content": json_content(&write), "required": true},
                "responses": {
                    "201": {"content": json_content(&response), "description": "Created",
                        "headers": {"Location": {"description": format!("URL of the new {noun}"), "schema": {"type": "string"}}}},
                    "409": problem(&format!("`external_id` already used by another of your {kinds}, or a request with the same `Idempotency-Key` is still running")),
                },
                "security": bearer, "tags": [kinds],
            }),
        ),
        (
            item.clone(),
            "put",
            json!({
                "description": d.replace, "operationId": format!("replace{title}"), "summary": format!("Replace {a_noun}"),
                "parameters": [if_match, id(None)],
                "requestBody": {"content": json_content(&write), "required": true},
                "responses": {"200": {"content": json_content(&response), "description": "Replaced"}},
                "security": bearer, "tags": [kinds],
            }),
        ),
        (
            item.clone(),
            "patch",
            json!({
                "description": d.update, "operationId": format!("update{title}"), "summary": format!("Update {a_noun}"),
                "parameters": [if_match, id(None)],
                "requestBody": {"content": {"application/merge-patch+json": {"example": {"status": d.update_example_status}, "schema": write}}, "required": true},
                "responses": {"200": {"content": json_content(&response), "description": "Updated"}},
                "security": bearer, "tags": [kinds],
            }),
        ),
        (
            item,
            "delete",
            json!({
                "description": d.delete, "operationId": format!("delete{title}"), "summary": format!("Delete {a_noun}"),
                "parameters": [if_match, id(None)],
                "responses": {"204": {"description": "Deleted"}},
                "security": bearer, "tags": [kinds],
            }),
        ),
        (
            format!("/v1/{kinds}/by-external-id/{{external_id}}"),
            "put",
            json!({
                "description": UPSERT, "operationId": format!("upsert{title}ByExternalId"),
                "summary": format!("Upsert {a_noun} by external id"),
                "parameters": [
                    {"description": "Your own identifier for the listing", "example": "grief-tue", "in": "path",
                        "name": "external_id", "required": true, "schema": {"type": "string"}},
                    header_param("If-Match", "The `ETag` of the version you edited; if the listing has changed since (or does not exist), the answer is `412` and nothing is written"),
                ],
                "requestBody": {"content": json_content(&write), "required": true},
                "responses": {
                    "200": {"content": json_content(&response), "description": "Replaced, or unchanged"},
                    "201": {"content": json_content(&response), "description": "Created",
                        "headers": {"Location": {"description": "URL of the new listing", "schema": {"type": "string"}}}},
                    "400": problem("Malformed JSON or path"),
                    "412": problem("`If-Match` names an older version, or there is no such listing"),
                },
                "security": bearer, "tags": ["sync"],
            }),
        ),
    ];
    let sync_request = format!("Sync{}Request", capitalized(kinds));
    let sync_result = schema_ref("SyncResult");
    operations.push((format!("/v1/sync/{kinds}"), "post", json!({
        "description": SYNC, "operationId": format!("sync{}", capitalized(kinds)),
        "summary": format!("Bulk sync {kinds}"),
        "parameters": [{"description": "`true`: apply every item or none (a failed item rolls back all and\nthe answer is 422). Default `false`: valid items are applied even\nwhen others fail.",
            "example": false, "in": "query", "name": "atomic", "required": false, "schema": {"type": "boolean"}}],
        "requestBody": {"content": json_content(&schema_ref(&sync_request)), "required": true},
        "responses": {
            "200": {"content": json_content(&sync_result), "description": "Applied; per-item outcomes"},
            "400": problem("Malformed JSON or query"),
            "413": problem("More than 1,000 items, or a body over 16 MiB"),
            "422": {"content": {"application/json": {"schema": sync_result},
                    "application/problem+json": {"schema": schema_ref("Problem")}},
                "description": "With `atomic=true`: an item failed and nothing was applied (`application/json`, per-item outcomes); or the body's shape is invalid (`application/problem+json`)"},
        },
        "security": bearer, "tags": ["sync"],
    })));
    for (path, method, op) in operations {
        let paths = object_at(doc, "paths");
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item[method] = op;
    }
    let schema = json!({
        "description": format!("Documentation of a bulk sync of {kinds}."),
        "properties": {
            "delete": {"description": format!("`external_id`s of {kinds} to delete."),
                "items": {"type": "string"}, "type": "array"},
            "upsert": {"description": format!("{} to create or replace, matched by their `external_id` (required).\n\
                Each item is a `{}`. Items are checked one by one: an item that\n\
                does not fit is reported as `failed` in the answer, with its fields,\n\
                and does not stop the others (unless `atomic=true`).", capitalized(kinds), L::Write::name()),
                "items": {"type": "object"}, "type": "array"},
        },
        "type": "object",
    });
    let components = doc
        .as_object_mut()
        .expect("the document is an object")
        .entry("components")
        .or_insert_with(|| json!({}));
    object_at(components, "schemas").insert(sync_request, schema);
}

/// `doc[key]` as an object, created when missing.
fn object_at<'a>(doc: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    doc.as_object_mut()
        .expect("an object")
        .entry(key)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("an object")
}

fn header_param(name: &str, description: &str) -> Value {
    json!({"description": description, "in": "header", "name": name, "required": false,
        "schema": {"type": ["string", "null"]}})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: &Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn problem(description: &str) -> Value {
    json!({"content": {"application/problem+json": {"schema": schema_ref("Problem")}},
        "description": description})
}

/// `a` or `an`, as the noun is spoken.
fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(article("event"), "an");
        assert_eq!(article("group"), "a");
        assert_eq!(capitalized("resources"), "Resources");
    }
}
