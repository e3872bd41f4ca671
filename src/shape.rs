//! Objects must be JSON objects. serde reads a struct from a JSON array of
//! its fields too (`"online": [null, null]`), which the API documents as an
//! object; this check walks a body against the schema of its type (the
//! `ToSchema` of the request types, the same schemas the OpenAPI document is
//! built from) and refuses any non-object where an object is expected,
//! naming the field, before the body is used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// The schemas of a type and of every type it refers to, by name.
type Schemas = Map<String, Value>;

/// The schema of `T` and the schemas it refers to, built once per type.
fn schemas_of<T: ToSchema + 'static>() -> (String, Arc<Schemas>) {
    static REGISTRY: OnceLock<Mutex<HashMap<&'static str, Arc<Schemas>>>> = OnceLock::new();
    let name = T::name().into_owned();
    let registry = REGISTRY.get_or_init(Default::default);
    let mut registry = registry.lock().unwrap_or_else(|e| e.into_inner());
    let schemas = registry
        .entry(std::any::type_name::<T>())
        .or_insert_with(|| {
            let mut list = Vec::new();
            T::schemas(&mut list);
            let mut map: Schemas = list
                .into_iter()
                .filter_map(|(n, s)| Some((n, serde_json::to_value(s).ok()?)))
                .collect();
            if let Ok(own) = serde_json::to_value(T::schema()) {
                map.insert(name.clone(), own);
            }
            Arc::new(map)
        })
        .clone();
    (name, schemas)
}

/// Check `value` against the schema of `T`.
pub fn check<T: ToSchema + 'static>(value: &Value) -> Result<(), ApiError> {
    visit_schema_of::<T>(value, walk)
}

type Visit = fn(&Schemas, &Value, &Value, &str, &mut Vec<FieldError>, u8);

/// Run `visit` over `value` and the schema of `T`; its errors become a 422.
fn visit_schema_of<T: ToSchema + 'static>(value: &Value, visit: Visit) -> Result<(), ApiError> {
    let (name, schemas) = schemas_of::<T>();
    let Some(schema) = schemas.get(&name) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    visit(&schemas, schema, value, "", &mut errors, 0);
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
pub fn check_known_fields<T: ToSchema + 'static>(value: &Value) -> Result<(), ApiError> {
    visit_schema_of::<T>(value, known_fields)
}

fn known_fields(
    schemas: &Schemas,
    schema: &Value,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
    depth: u8,
) {
    if depth > 16 {
        return;
    }
    let schema = resolve(schemas, schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for b in branches.iter().filter(|b| !has_type(b, "null")) {
                known_fields(schemas, b, value, path, errors, depth + 1);
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
            Some(p) => known_fields(schemas, p, v, &child, errors, depth + 1),
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

fn resolve<'a>(schemas: &'a Schemas, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .rsplit('/')
            .next()
            .and_then(|n| schemas.get(n))
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

fn walk(
    schemas: &Schemas,
    schema: &Value,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
    depth: u8,
) {
    if depth > 16 || value.is_null() {
        return;
    }
    let schema = resolve(schemas, schema);
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for b in branches.iter().filter(|b| !has_type(b, "null")) {
                walk(schemas, b, value, path, errors, depth + 1);
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
                    walk(schemas, p, v, &child, errors, depth + 1);
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            walk(
                schemas,
                items,
                v,
                &format!("{path}[{i}]"),
                errors,
                depth + 1,
            );
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
