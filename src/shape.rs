//! Objects must be JSON objects. serde reads a struct from a JSON array of
//! its fields too (`"online": [null, null]`), which the API documents as an
//! object; this check walks a body against its schema in the OpenAPI
//! document and refuses any non-object where an object is expected, naming
//! the field, before the body is used.

use std::sync::OnceLock;

use serde_json::Value;

use crate::error::{ApiError, FieldError};

fn schemas() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    &DOC.get_or_init(crate::openapi::document)["components"]["schemas"]
}

/// Check `value` against the schema named after `T` (its last path
/// segment); types without a schema of their own are not checked here.
pub fn check<T>(value: &Value) -> Result<(), ApiError> {
    visit_schema_of::<T>(value, walk)
}

type Visit = fn(&Value, &Value, &str, &mut Vec<FieldError>, u8);

/// Run `visit` over `value` and the schema named after `T` (its last path
/// segment), if the document has one; its errors become a 422.
fn visit_schema_of<T>(value: &Value, visit: Visit) -> Result<(), ApiError> {
    let name = std::any::type_name::<T>().rsplit("::").next().unwrap_or("");
    let Some(schema) = schemas().get(name) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    visit(schema, value, "", &mut errors, 0);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Refuse a body that is not a JSON object, for a body whose Rust type has
/// no schema of its own in the document (the bulk sync request, one type
/// behind three documented schemas): serde would read `[]` as an empty one.
pub fn require_object(value: &Value) -> Result<(), ApiError> {
    if value.is_object() {
        Ok(())
    } else {
        Err(ApiError::Validation(vec![FieldError::new(
            "body",
            "must be a JSON object",
        )]))
    }
}

/// Refuse fields the schema named after `T` does not have, at any depth
/// (where the schema says `additionalProperties: false`). serde does that
/// for a body it reads; a merge patch needs it too, because `{"typo": null}`
/// removes nothing and would otherwise pass unnoticed.
pub fn check_known_fields<T>(value: &Value) -> Result<(), ApiError> {
    visit_schema_of::<T>(value, known_fields)
}

fn known_fields(
    schema: &Value,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
    depth: u8,
) {
    if depth > 16 {
        return;
    }
    let schema = resolve(schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for b in branches.iter().filter(|b| !has_type(b, "null")) {
                known_fields(b, value, path, errors, depth + 1);
            }
        }
    }
    let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) else {
        return;
    };
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (k, v) in object {
        let child = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        match properties.get(k) {
            Some(p) => known_fields(p, v, &child, errors, depth + 1),
            None if closed => {
                let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
                names.sort_unstable();
                errors.push(FieldError::new(
                    child,
                    format!("unknown field; accepted fields are: {}", names.join(", ")),
                ));
            }
            None => {}
        }
    }
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .rsplit('/')
            .next()
            .and_then(|n| schemas().get(n))
            .unwrap_or(schema),
        None => schema,
    }
}

fn has_type(schema: &Value, t: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(a)) => a.iter().any(|x| x == t),
        _ => false,
    }
}

fn walk(schema: &Value, value: &Value, path: &str, errors: &mut Vec<FieldError>, depth: u8) {
    if depth > 16 || value.is_null() {
        return;
    }
    let schema = resolve(schema);
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for b in branches.iter().filter(|b| !has_type(b, "null")) {
                walk(b, value, path, errors, depth + 1);
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    if properties.is_some() || has_type(schema, "object") {
        let Some(object) = value.as_object() else {
            errors.push(FieldError::new(
                if path.is_empty() { "body" } else { path },
                "must be a JSON object",
            ));
            return;
        };
        if let Some(properties) = properties {
            for (k, v) in object {
                if let Some(p) = properties.get(k) {
                    let child = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(p, v, &child, errors, depth + 1);
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            walk(items, v, &format!("{path}[{i}]"), errors, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::dto::GroupWrite;

    #[test]
    fn arrays_are_not_objects() {
        let ok =
            serde_json::json!({"name": "x", "online": {"platform": "Jitsi"}, "topics": ["grief"]});
        assert!(check::<GroupWrite>(&ok).is_ok());
        let bad = serde_json::json!({"name": "x", "online": [null, null], "cost": ["free"]});
        let Err(ApiError::Validation(errors)) = check::<GroupWrite>(&bad) else {
            panic!("arrays accepted as objects");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"online") && fields.contains(&"cost"),
            "{fields:?}"
        );
        assert!(check::<GroupWrite>(&serde_json::json!([1, 2])).is_err());
        assert!(check::<String>(&serde_json::json!([1])).is_ok());
    }
}
