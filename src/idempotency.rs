//! `Idempotency-Key` on `POST` create endpoints (IETF httpapi draft): the
//! same key with the same body returns the first answer without creating
//! again; with a different body, `422`; while the first request is still
//! running, `409`. Keys are kept per organization for at least 24 hours
//! (48 in practice), in the database, so every instance sees them.

use std::future::Future;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::DbConnection;
use crate::error::{ApiError, FieldError, PROBLEM_JSON};
use crate::state::AppState;

/// How long a key is remembered.
const KEEP: i64 = 48;
/// A request still marked running after this long is taken to have died
/// (its instance crashed) and may be retried.
const ABANDONED_AFTER_SECONDS: i64 = 300;

pub const HEADER: &str = "idempotency-key";

/// The key of a request, if it sent one.
pub fn key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let k = v.to_str().unwrap_or("").trim().trim_matches('"');
    if k.is_empty() || k.len() > 255 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest {
            code: "invalid_idempotency_key",
            detail: "`Idempotency-Key` must be 1 to 255 visible ASCII characters (a UUID is a good choice)".into(),
        });
    }
    Ok(Some(k.to_owned()))
}

/// A stored key: request hash, completed, status, body, location, created.
type StoredKey = (
    String,
    bool,
    Option<i32>,
    Option<String>,
    Option<String>,
    chrono::NaiveDateTime,
);

enum Begin {
    Proceed,
    Replay {
        status: u16,
        body: String,
        location: Option<String>,
    },
}

fn begin(conn: &mut DbConnection, org: &str, key: &str, hash: &str) -> Result<Begin, ApiError> {
    crate::db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::created_at.lt(now - Duration::hours(KEEP))),
        )
        .execute(conn)?;
        let existing: Option<StoredKey> = idempotency_keys::table
            .find((org, key))
            .select((
                idempotency_keys::request_hash,
                idempotency_keys::completed,
                idempotency_keys::status_code,
                idempotency_keys::response_body,
                idempotency_keys::location,
                idempotency_keys::created_at,
            ))
            .first(conn)
            .optional()?;
        match existing {
            None => {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::organization_id.eq(org),
                        idempotency_keys::idempotency_key.eq(key),
                        idempotency_keys::request_hash.eq(hash),
                        idempotency_keys::completed.eq(false),
                        idempotency_keys::created_at.eq(now),
                    ))
                    .execute(conn)
                    .map_err(|e| match e {
                        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => in_progress(),
                        e => e.into(),
                    })?;
                Ok(Begin::Proceed)
            }
            Some((h, _, _, _, _, _)) if h != hash => Err(ApiError::Validation(vec![FieldError::new(
                "Idempotency-Key",
                "this key was already used with a different request; use a new key for a new request",
            )])),
            Some((_, false, _, _, _, started)) if now - started > Duration::seconds(ABANDONED_AFTER_SECONDS) => {
                diesel::update(idempotency_keys::table.find((org, key)))
                    .set(idempotency_keys::created_at.eq(now))
                    .execute(conn)?;
                Ok(Begin::Proceed)
            }
            Some((_, false, _, _, _, _)) => Err(in_progress()),
            Some((_, true, status, body, location, _)) => Ok(Begin::Replay {
                status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
                body: body.unwrap_or_default(),
                location,
            }),
        }
    })
}

fn in_progress() -> ApiError {
    ApiError::Conflict {
        code: "idempotency_key_in_progress",
        detail: "a request with this `Idempotency-Key` is still being processed; retry in a moment"
            .into(),
    }
}

fn finish(
    conn: &mut DbConnection,
    org: &str,
    key: &str,
    status: u16,
    body: &str,
    location: Option<&str>,
) -> Result<(), ApiError> {
    diesel::update(idempotency_keys::table.find((org, key)))
        .set((
            idempotency_keys::completed.eq(true),
            idempotency_keys::status_code.eq(i32::from(status)),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::location.eq(location),
        ))
        .execute(conn)?;
    Ok(())
}

/// Where a create records its answer under the request's key, in the
/// create's own write transaction: the listing and the key's answer commit
/// together or not at all, so a failure after the commit can never leave a
/// key "still running" (`409`, then after a while a second create).
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    key: Option<(String, String)>,
}

impl Recorder {
    /// Record the answer (call it inside the create's write transaction;
    /// without a key it does nothing).
    pub fn record(
        &self,
        conn: &mut DbConnection,
        status: StatusCode,
        body: &serde_json::Value,
        location: Option<&str>,
    ) -> Result<(), ApiError> {
        match &self.key {
            None => Ok(()),
            Some((org, key)) => {
                finish(conn, org, key, status.as_u16(), &body.to_string(), location)
            }
        }
    }

    /// Run `create` (which returns the new resource as JSON and its URL) in
    /// a write transaction, and record it there as a `201`.
    pub fn created(
        &self,
        conn: &mut DbConnection,
        create: impl FnOnce(&mut DbConnection) -> Result<(serde_json::Value, String), ApiError>,
    ) -> Result<(serde_json::Value, String), ApiError> {
        crate::db::write_transaction(conn, |conn| {
            let (body, location) = create(conn)?;
            self.record(conn, StatusCode::CREATED, &body, Some(&location))?;
            Ok((body, location))
        })
    }
}

fn forget(conn: &mut DbConnection, org: &str, key: &str) -> Result<(), ApiError> {
    diesel::delete(idempotency_keys::table.find((org, key))).execute(conn)?;
    Ok(())
}

fn replayed(status: u16, body: String, location: Option<String>) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.content_type(if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    });
    res.insert_header(("Idempotent-Replayed", "true"));
    if let Some(l) = location {
        res.insert_header((header::LOCATION, l));
    }
    res.body(body)
}

/// Run a create under the request's `Idempotency-Key`, if it has one:
/// `create` returns the status, the JSON body and the new listing's URL, and
/// records them with the [`Recorder`] it is given inside its own write
/// transaction.
pub async fn run<B, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    org: &str,
    request: &B,
    create: F,
) -> Result<HttpResponse, ApiError>
where
    B: Serialize,
    F: FnOnce(Recorder) -> Fut,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value, Option<String>), ApiError>>,
{
    let respond = |(status, body, location): (StatusCode, serde_json::Value, Option<String>)| {
        let mut res = HttpResponse::build(status);
        if let Some(l) = location {
            res.insert_header((header::LOCATION, l));
        }
        res.json(body)
    };
    let Some(key) = key(req)? else {
        return create(Recorder::default()).await.map(respond);
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str().as_bytes());
    hasher.update(req.path().as_bytes());
    hasher.update(serde_json::to_vec(request).map_err(ApiError::internal)?);
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (o, k, h) = (org.to_owned(), key.clone(), hash);
    match state.db(move |conn| begin(conn, &o, &k, &h)).await? {
        Begin::Replay {
            status,
            body,
            location,
        } => return Ok(replayed(status, body, location)),
        Begin::Proceed => {}
    }
    let recorder = Recorder {
        key: Some((org.to_owned(), key.clone())),
    };
    let outcome = create(recorder).await;
    let (o, k) = (org.to_owned(), key);
    match &outcome {
        // Recorded with the create, in its transaction.
        Ok(_) => {}
        // Nothing was created: the refusal is the answer to replay.
        Err(e) if e.status_code().is_client_error() => {
            let (status, text) = (
                e.status_code().as_u16(),
                serde_json::to_string(&e.problem()).map_err(ApiError::internal)?,
            );
            state
                .db(move |conn| finish(conn, &o, &k, status, &text, None))
                .await?;
        }
        Err(_) => state.db(move |conn| forget(conn, &o, &k)).await?,
    }
    outcome.map(respond)
}
