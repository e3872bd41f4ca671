//! Request extractors that turn every kind of bad input into a problem that
//! names the failing field: JSON bodies (size limit, content type, syntax,
//! unknown fields, bad enum values) and query strings.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::rt::time::{timeout, Instant};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::config::{BODY_IDLE_SECONDS, DEFAULT_BODY_TIMEOUT_SECONDS};
use crate::error::{ApiError, FieldError};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Largest accepted bulk-sync body (1,000 listings).
pub const MAX_SYNC_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The raw request body, at most `LIMIT` bytes, with its content type.
pub struct RawBodyLimited<const LIMIT: usize> {
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

/// The longest a request body may take to arrive, in seconds (the app's
/// `CIRCLES_BODY_TIMEOUT_SECONDS`, registered as app data).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub u64);

/// A request body of at most [`MAX_BODY_BYTES`].
pub type RawBody = RawBodyLimited<MAX_BODY_BYTES>;

fn too_large(limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "request bodies are limited to {} KiB",
        limit / 1024
    ))
}

impl<const LIMIT: usize> FromRequest for RawBodyLimited<LIMIT> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let total = req
            .app_data::<BodyDeadline>()
            .map_or(DEFAULT_BODY_TIMEOUT_SECONDS, |d| d.0);
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > LIMIT) {
                return Err(too_large(LIMIT));
            }
            // A body that stalls would hold its connection (and a file
            // descriptor) for ever: each piece must come within
            // BODY_IDLE_SECONDS, the whole body within `total`.
            let deadline = Instant::now() + Duration::from_secs(total);
            let idle = Duration::from_secs(BODY_IDLE_SECONDS.min(total));
            let mut body = BytesMut::new();
            loop {
                let wait = idle.min(deadline.saturating_duration_since(Instant::now()));
                let chunk = match timeout(wait, payload.next()).await {
                    Err(_) => {
                        return Err(ApiError::RequestTimeout(format!(
                            "the request body did not arrive in time (each part within \
                             {BODY_IDLE_SECONDS} s, all of it within {total} s)"
                        )))
                    }
                    Ok(None) => break,
                    Ok(Some(chunk)) => chunk,
                };
                let chunk = chunk.map_err(|e| ApiError::BadRequest {
                    code: "invalid_body",
                    detail: format!("the request body could not be read: {e}"),
                })?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(too_large(LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawBodyLimited {
                content_type,
                bytes: body.freeze(),
            })
        })
    }
}

/// Whether a media type is JSON (`application/json` or `application/*+json`).
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
    })
}

/// Deserialize JSON, reporting syntax errors as `malformed_json` and data
/// errors (wrong type, unknown field, bad enum value, missing field) as
/// validation problems naming the field path.
pub fn parse_json<T: DeserializeOwned + ToSchema + 'static>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        crate::shape::check::<T>(&value)?;
    }
    parse_json_unchecked(bytes)
}

/// [`parse_json`] without the shape check, for a type without a schema of
/// its own (a raw JSON value).
pub fn parse_json_unchecked<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::Validation(vec![describe_data_error(&path, &inner.to_string())])
            }
            _ => ApiError::MalformedJson(format!("the body is not valid JSON: {inner}")),
        }
    })
}

/// Same as [`parse_json`] for an already parsed value (used by merge patch).
pub fn from_value<T: DeserializeOwned + ToSchema + 'static>(
    value: serde_json::Value,
) -> Result<T, ApiError> {
    crate::shape::check::<T>(&value)?;
    from_value_unchecked(value)
}

/// [`from_value`] without the shape check, for a type without a schema of
/// its own (the bulk sync request, one type behind three documented
/// schemas; its caller checks that it is an object).
pub fn from_value_unchecked<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        ApiError::Validation(vec![describe_data_error(
            &e.path().to_string(),
            &e.inner().to_string(),
        )])
    })
}

/// Turn serde's message into a field error. The path already ends with an
/// unknown or duplicate key; for a missing field the field's own name is
/// appended; for enums the accepted values are listed.
fn describe_data_error(path: &str, message: &str) -> FieldError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let path = if path == "." { "" } else { path };
    let ticked = |s: &str| s.split('`').nth(1).map(str::to_owned);
    // serde lists accepted values as "one of `a`, `b`", "`a` or `b`" or "`a`".
    let expected = |msg: &str| -> Option<Vec<String>> {
        let list = msg.split("expected ").nth(1)?;
        let list = list.strip_prefix("one of ").unwrap_or(list);
        let values: Vec<String> = list
            .split(", ")
            .flat_map(|s| s.split(" or "))
            .map(|s| s.trim().trim_matches('`').to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        (!values.is_empty()).then_some(values)
    };
    let or_body = |p: &str| {
        if p.is_empty() {
            "body".to_owned()
        } else {
            p.to_owned()
        }
    };
    if message.starts_with("unknown field") || message.starts_with("duplicate field") {
        let field = if path.is_empty() {
            ticked(&message).unwrap_or_default()
        } else {
            path.to_owned()
        };
        let msg = if message.starts_with("duplicate field") {
            "is given more than once".to_owned()
        } else {
            match expected(&message) {
                Some(list) => format!("unknown field; accepted fields are: {}", list.join(", ")),
                None => "unknown field".to_owned(),
            }
        };
        return FieldError::new(or_body(&field), msg);
    }
    if message.starts_with("missing field") {
        let name = ticked(&message).unwrap_or_default();
        let field = if path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        };
        return FieldError::new(or_body(&field), "this field is required");
    }
    if message.starts_with("unknown variant") {
        let value = ticked(&message).unwrap_or_default();
        if let Some(list) = expected(&message) {
            let msg = format!(
                "unknown value `{value}`, expected one of: {}",
                list.join(", ")
            );
            return FieldError::new(or_body(path), msg).with_allowed(list);
        }
    }
    FieldError::new(or_body(path), message)
}

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + ToSchema + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = RawBody::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            if !is_json(body.content_type.as_deref()) {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as JSON with `Content-Type: application/json`".into(),
                ));
            }
            parse_json(&body.bytes).map(JsonBody)
        })
    }
}

/// Query parameters of type `T`; unknown and malformed parameters are 400
/// problems naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // No stored text contains NUL, and PostgreSQL refuses it in a parameter:
    // a query naming one is malformed, on every backend alike.
    if let Some((name, _)) = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(ApiError::InvalidQuery(FieldError::new(
            name.replace('\0', "\u{fffd}"),
            "must not contain NUL characters",
        )));
    }
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        ApiError::InvalidQuery(describe_data_error(&path, &e.inner().to_string()))
    })
}

/// Parse a comma-separated list of vocabulary values from a query parameter
/// (`topic=grief,trauma` means any of them). Every item must be a value: an
/// empty one (`topic=`, `topic=grief,`) is refused, as the document says
/// (`minItems: 1`, items from the vocabulary).
pub fn vocab_list<V: crate::vocab::Vocabulary>(
    name: &str,
    raw: Option<&str>,
) -> Result<Option<Vec<V>>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    raw.split(',')
        .map(str::trim)
        .map(|s| {
            no_empty_item(name, s)?;
            V::parse(s).map_err(|e| ApiError::InvalidQuery(FieldError::from((name, e))))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// An empty item of a comma-separated list of vocabulary values.
pub fn no_empty_item(name: &str, item: &str) -> Result<(), ApiError> {
    if item.is_empty() {
        return Err(ApiError::InvalidQuery(FieldError::new(
            name,
            "has an empty value: list one or more values, or leave the parameter out",
        )));
    }
    Ok(())
}

/// Parse a comma-separated list of free values from a query parameter.
pub fn str_list(raw: Option<&str>) -> Option<Vec<String>> {
    raw.map(|r| {
        r.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// Parse a comma-separated list of BCP 47 language tags from a query
/// parameter (`language=en,pt-BR`), each in the case it is stored in. Empty
/// items are skipped, so `language=` filters nothing; a tag that no listing
/// could hold ([`crate::validate::is_language`]) is refused.
pub fn language_list(name: &str, raw: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    checked_list(
        raw,
        |tag| crate::validate::is_language(tag).then(|| crate::validate::normalize_language(tag)),
        || {
            ApiError::InvalidQuery(FieldError::new(
                name,
                "must be BCP 47 language tags of real languages, such as `en` or `pt-BR`",
            ))
        },
    )
}

/// Parse a comma-separated list of ISO 3166-1 alpha-2 country codes from a
/// query parameter (`country=GB,ie`), in any case, upper-cased. Empty items
/// are skipped; a code that is not assigned is refused.
pub fn country_list(name: &str, raw: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    checked_list(
        raw,
        |code| {
            let code = code.to_ascii_uppercase();
            crate::validate::is_country(&code).then_some(code)
        },
        || {
            ApiError::InvalidQuery(FieldError::new(
                name,
                "must be assigned ISO 3166-1 alpha-2 country codes, such as `GB`",
            ))
        },
    )
}

/// [`str_list`], each item mapped by `check` (`None` refuses it, answered
/// with `refused`); `None` for an absent parameter or one with no items.
fn checked_list(
    raw: Option<&str>,
    check: impl Fn(&str) -> Option<String>,
    refused: impl FnOnce() -> ApiError,
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(items) = str_list(raw).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    items
        .iter()
        .map(|item| check(item))
        .collect::<Option<Vec<_>>>()
        .map(Some)
        .ok_or_else(refused)
}

/// A path id that must be a UUID.
pub fn uuid_path(name: &str, raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::InvalidPath(FieldError::new(name, "must be a UUID")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        format: crate::vocab::Format,
    }

    #[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
    }

    fn field_error(json: &str) -> FieldError {
        match parse_json::<Outer>(json.as_bytes()) {
            Err(ApiError::Validation(mut v)) => v.remove(0),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_fields() {
        let e = field_error(r#"{"name":"x","inner":{"format":"zoom"}}"#);
        assert_eq!(e.field, "inner.format");
        assert_eq!(e.allowed.unwrap(), vec!["in_person", "online", "hybrid"]);
        assert_eq!(field_error(r#"{"name":"x","colour":1}"#).field, "colour");
        assert_eq!(field_error(r#"{"name":"x","name":"y"}"#).field, "name");
        assert_eq!(
            field_error(r#"{"name":"x","inner":{"format":"online","x":1}}"#).field,
            "inner.x"
        );
        assert_eq!(field_error(r#"{"inner":null}"#).field, "name");
        assert_eq!(field_error(r#"{"name":5}"#).field, "name");
        assert!(matches!(
            parse_json::<Outer>(b"{\"name\":"),
            Err(ApiError::MalformedJson(_))
        ));
    }
}
