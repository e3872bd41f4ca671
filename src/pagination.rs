//! Keyset (cursor) pagination shared by every list: `limit` ≤ 100, an opaque
//! cursor encoding the last row's sort key, `next_cursor` in the body and a
//! `Link: <…>; rel="next"` header.

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Position after which the next page starts: the sort key of the last row
/// returned — its time-ordered id, preceded by the value of the sort column
/// when the list is not sorted by id alone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cursor {
    #[serde(rename = "a")]
    pub after_id: String,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The sort the cursor belongs to, when the list has several.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
}

impl Cursor {
    /// A cursor after the row with this id, in a list sorted by id.
    pub fn after(id: impl Into<String>) -> Cursor {
        Cursor {
            after_id: id.into(),
            key: None,
            sort: None,
        }
    }

    /// A cursor after the row with this sort key and id.
    pub fn after_keyed(key: impl Into<String>, id: impl Into<String>) -> Cursor {
        Cursor {
            after_id: id.into(),
            key: Some(key.into()),
            sort: None,
        }
    }
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).expect("cursor serializes"))
    }

    pub fn decode(s: &str) -> Result<Cursor, ApiError> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid_cursor())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid_cursor())
    }
}

/// The problem for a cursor this list did not issue (garbage, or one from
/// another list or sort).
pub fn invalid_cursor() -> ApiError {
    ApiError::BadRequest {
        code: "invalid_cursor",
        detail: "the cursor is not one this list issued; start again without `cursor`".into(),
    }
}

/// Validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    pub fn new(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::InvalidQuery(crate::error::FieldError::new(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )));
        }
        let cursor = cursor
            .filter(|c| !c.is_empty())
            .map(Cursor::decode)
            .transpose()?;
        Ok(PageRequest { limit, cursor })
    }
}

/// Given `limit + 1` fetched rows, keep `limit` and compute the next cursor.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    cursor: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<String>) {
    if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        let next = rows.last().map(|r| cursor(r).encode());
        (rows, next)
    } else {
        (rows, None)
    }
}

/// The `Link` header value pointing at the next page: the same request with
/// its `cursor` replaced; absolute under `public_url` (the configured
/// `CIRCLES_PUBLIC_URL`), else relative (RFC 8288 resolves it against the
/// request). Never built from `Host` or `X-Forwarded-Host`: the response
/// cache (and any CDN) would serve a link to a host an attacker chose.
pub fn next_link(req: &HttpRequest, public_url: Option<&str>, next_cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .filter(|(k, _)| k != "cursor")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.push(("cursor".into(), next_cursor.into()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!(
        "<{}{}?{}>; rel=\"next\"",
        public_url.unwrap_or_default(),
        req.path(),
        query
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_garbage() {
        let c = Cursor::after("0190-abc");
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        let c = Cursor::after_keyed("2026-01-01T00:00:00+00:00", "0190-abc");
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("not a cursor!").is_err());
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(101), None).is_err());
        assert_eq!(PageRequest::new(None, None).unwrap().limit, 20);
    }
}
