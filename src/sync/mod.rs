//! Keeping a partner's listings in step with its own system: upsert by the
//! partner's `external_id` (the same body twice changes nothing the second
//! time) and bulk sync of up to 1,000 items, each applied in its own
//! savepoint so one bad item never spoils the others (or all-or-nothing
//! with `atomic=true`).

pub mod handlers;

use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::changes::ListingType;
use crate::db::schema::{events, resources, support_groups};
use crate::db::DbConnection;
use crate::error::{ApiError, FieldError, Problem};
use crate::middleware::IfMatch;

pub use handlers::configure;

/// Existing listings by external id: id, fingerprint of the stored values
/// (`None`: unknown, compare as changed), version.
pub type Existing = std::collections::HashMap<String, (String, Option<String>, i64)>;

/// Fingerprint of a normalized write body: equal bodies, equal fingerprints.
/// (Validation sorts and normalizes lists, so the JSON is canonical.)
pub fn fingerprint<W: Serialize>(w: &W) -> Result<String, ApiError> {
    use sha2::{Digest, Sha256};
    let bytes = serde_json::to_vec(w).map_err(ApiError::internal)?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Most items (upserts and deletes together) in one bulk sync.
pub const MAX_SYNC_ITEMS: usize = 1000;

/// What happened to one item.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    /// The listing already had exactly these values: nothing was written.
    Unchanged,
    Deleted,
    /// Nothing of yours has this `external_id` (delete).
    NotFound,
    /// The item was refused; see `problem`.
    Failed,
    /// The item was valid but not applied: `atomic=true` and another item failed.
    RolledBack,
}

/// A kind of listing that can be synced.
pub trait SyncKind: 'static {
    const TYPE: ListingType;
    type Write: DeserializeOwned + Serialize + Clone + PartialEq + Send + 'static;
    /// What validation hands to the writes (an event's recurrence).
    type Prepared: Clone + Send + 'static;

    /// Validate and normalize a body.
    fn prepare(w: &mut Self::Write) -> Result<Self::Prepared, ApiError>;
    fn external_id(w: &Self::Write) -> Option<&str>;
    fn set_external_id(w: &mut Self::Write, ext: &str);
    fn find_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> QueryResult<Option<String>>;
    /// The stored values (as a write body) and version of a live listing.
    /// The id, stored values (as a write body) and version of the live
    /// listing with this external id.
    fn current_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> Result<Option<(String, Self::Write, i64)>, ApiError>;
    /// Create in its own transaction (a savepoint inside another); the new id.
    fn create(
        conn: &mut DbConnection,
        org: &str,
        w: &Self::Write,
        p: &Self::Prepared,
    ) -> Result<String, ApiError>;
    /// The listings with these external ids, by external id (one query per
    /// kind of data where the kind supports it).
    fn current_many(
        conn: &mut DbConnection,
        org: &str,
        exts: &[String],
    ) -> Result<Existing, ApiError> {
        let mut map = std::collections::HashMap::new();
        for ext in exts {
            if let Some((id, current, version)) = Self::current_by_external_id(conn, org, ext)? {
                map.insert(ext.clone(), (id, Some(fingerprint(&current)?), version));
            }
        }
        Ok(map)
    }
    /// Create inside the caller's transaction, without a savepoint of its own.
    /// Statements it may leave in `deferred` run before the transaction ends.
    fn insert(
        conn: &mut DbConnection,
        org: &str,
        w: &Self::Write,
        p: &Self::Prepared,
        _deferred: &mut String,
    ) -> Result<String, ApiError> {
        Self::create(conn, org, w, p)
    }
    fn replace(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
        w: &Self::Write,
        p: &Self::Prepared,
        precondition: Option<&IfMatch>,
    ) -> Result<(String, i64), ApiError>;
    fn delete(conn: &mut DbConnection, org: &str, id: &str) -> Result<(), ApiError>;
    /// The owner's view of a listing, as JSON.
    fn owner_view(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
    ) -> Result<serde_json::Value, ApiError>;
}

/// Create or replace the listing with this `external_id`; an identical body
/// writes nothing (no new version, no change-log entry). The comparison is a
/// plain read, so an unchanged item costs two queries; only a write takes a
/// transaction (a savepoint inside a bulk sync) and, for a replace, the row
/// lock. Two writers racing to create the same `external_id` meet the
/// unique index: one gets `external_id_taken`.
pub fn upsert<K: SyncKind>(
    conn: &mut DbConnection,
    org: &str,
    w: &K::Write,
    p: &K::Prepared,
    precondition: Option<&IfMatch>,
) -> Result<(Outcome, String, i64), ApiError> {
    let ext = K::external_id(w)
        .ok_or_else(|| ApiError::field("external_id", "is required to sync"))?
        .to_owned();
    match K::current_by_external_id(conn, org, &ext)? {
        // `If-Match` on a listing that does not exist cannot hold (RFC 9110).
        None if precondition.is_some() => Err(ApiError::PreconditionFailed(
            "`If-Match` was sent, but you have no listing with this `external_id`".into(),
        )),
        None => {
            let id = K::create(conn, org, w, p)?;
            Ok((Outcome::Created, id, 1))
        }
        Some((id, current, version)) if &current == w => {
            IfMatch::check(precondition, version)?;
            Ok((Outcome::Unchanged, id, version))
        }
        Some((id, _, _)) => {
            // Checked again under the row lock by the update.
            let (id, v) = K::replace(conn, org, &id, w, p, precondition)?;
            Ok((Outcome::Updated, id, v))
        }
    }
}

/// Delete the listing with this `external_id`, if there is one.
pub fn delete_by_external_id<K: SyncKind>(
    conn: &mut DbConnection,
    org: &str,
    ext: &str,
) -> Result<Outcome, ApiError> {
    // No external id contains NUL (and PostgreSQL refuses it in a parameter).
    if ext.contains('\0') {
        return Ok(Outcome::NotFound);
    }
    crate::db::write_transaction(conn, |conn| match K::find_by_external_id(conn, org, ext)? {
        None => Ok(Outcome::NotFound),
        Some(id) => {
            K::delete(conn, org, &id)?;
            Ok(Outcome::Deleted)
        }
    })
}

impl ListingType {
    /// The collection's path segment, e.g. `groups`.
    pub fn plural(self) -> &'static str {
        match self {
            ListingType::Group => "groups",
            ListingType::Event => "events",
            ListingType::Resource => "resources",
        }
    }
}

/// The result of one bulk item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResult {
    /// Position in the request: upserts first, then deletes.
    pub index: usize,
    /// `upsert` or `delete`.
    #[schema(example = "upsert")]
    pub operation: String,
    pub external_id: Option<String>,
    pub outcome: Outcome,
    /// The listing's id (created, updated, unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The listing's version after the item (created, updated, unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Why the item failed, with the failing fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// Counts of outcomes.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct SyncCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub not_found: usize,
    pub failed: usize,
    pub rolled_back: usize,
}

/// The answer to a bulk sync.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResult {
    /// Whether the successful items were written (always, unless
    /// `atomic=true` and an item failed).
    pub applied: bool,
    pub counts: SyncCounts,
    /// One result per item, in request order.
    pub results: Vec<ItemResult>,
}

/// A bulk sync request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    #[serde(default)]
    pub upsert: Vec<serde_json::Value>,
    #[serde(default)]
    pub delete: Vec<String>,
}

/// Prefix the field names of a validation problem with the item's position.
fn item_problem(e: ApiError, prefix: &str) -> Problem {
    let e = match e {
        ApiError::Validation(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|mut f| {
                    f.field = format!("{prefix}.{}", f.field);
                    f
                })
                .collect(),
        ),
        other => other,
    };
    if let ApiError::Internal(_) = &e {
        // Log the cause; the client sees the generic text only.
        let _ = actix_web::ResponseError::error_response(&e);
    }
    e.problem()
}

/// Run a bulk sync: validate every item, then apply them in one transaction,
/// each in its own savepoint. With `atomic`, any failure rolls back all.
pub fn bulk<K: SyncKind>(
    conn: &mut DbConnection,
    org: &str,
    req: SyncRequest,
    atomic: bool,
) -> Result<SyncResult, ApiError> {
    let mut results: Vec<ItemResult> = Vec::with_capacity(req.upsert.len() + req.delete.len());
    let mut prepared: Vec<(usize, K::Write, K::Prepared)> = Vec::new();
    for (i, value) in req.upsert.into_iter().enumerate() {
        let prefix = format!("upsert[{i}]");
        let raw_external_id = value
            .get("external_id")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let parsed = crate::extract::from_value::<K::Write>(value).and_then(|mut w| {
            if K::external_id(&w).is_none() {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "external_id",
                    "is required to sync",
                )]));
            }
            let p = K::prepare(&mut w)?;
            Ok((w, p))
        });
        match parsed {
            Ok((w, p)) => {
                results.push(ItemResult {
                    index: i,
                    operation: "upsert".into(),
                    external_id: K::external_id(&w).map(str::to_owned),
                    outcome: Outcome::Failed,
                    id: None,
                    version: None,
                    problem: None,
                });
                prepared.push((i, w, p));
            }
            Err(e) => results.push(ItemResult {
                index: i,
                operation: "upsert".into(),
                external_id: raw_external_id,
                outcome: Outcome::Failed,
                id: None,
                version: None,
                problem: Some(item_problem(e, &prefix)),
            }),
        }
    }
    let first_delete = results.len();
    for (j, ext) in req.delete.iter().enumerate() {
        results.push(ItemResult {
            index: first_delete + j,
            operation: "delete".into(),
            external_id: Some(ext.clone()),
            outcome: Outcome::Failed,
            id: None,
            version: None,
            problem: None,
        });
    }
    let invalid = results.iter().any(|r| r.problem.is_some());
    if atomic && invalid {
        return Ok(finish(results, false));
    }
    // One read (inside each attempt's transaction) for every item that
    // already exists: unchanged items then cost no query of their own.
    let exts: Vec<String> = prepared
        .iter()
        .filter_map(|(_, w, _)| K::external_id(w).map(str::to_owned))
        .collect();
    // Fast path: no savepoints; any failing write rolls the whole batch back
    // and the batch is replayed with a savepoint per item, which isolates the
    // failures (or, with `atomic`, reports them all and applies nothing).
    let fast = crate::db::write_transaction(conn, |conn| {
        let existing = K::current_many(conn, org, &exts)?;
        let mut deferred = String::new();
        apply::<K>(
            conn,
            org,
            &prepared,
            &req.delete,
            first_delete,
            &existing,
            &mut results,
            false,
            &mut deferred,
        )?;
        // New listings' join rows and change-log entries, in one round trip.
        if !deferred.is_empty() {
            diesel::connection::SimpleConnection::batch_execute(conn, &deferred)?;
        }
        Ok(())
    });
    match fast {
        Ok(()) => return Ok(finish(results, true)),
        Err(ApiError::Internal(e)) => return Err(ApiError::Internal(e)),
        Err(_) => {}
    }
    let outcome = crate::db::write_transaction(conn, |conn| {
        let existing = K::current_many(conn, org, &exts)?;
        let failed = apply::<K>(
            conn,
            org,
            &prepared,
            &req.delete,
            first_delete,
            &existing,
            &mut results,
            true,
            &mut String::new(),
        )?;
        if atomic && failed {
            // Roll back everything; the results say which items failed.
            return Err(ApiError::Conflict {
                code: "rolled_back",
                detail: String::new(),
            });
        }
        Ok(())
    });
    match outcome {
        Ok(()) => Ok(finish(results, true)),
        Err(ApiError::Conflict {
            code: "rolled_back",
            ..
        }) => Ok(finish(results, false)),
        Err(e) => Err(e),
    }
}

/// Apply the valid items in order. With `isolate`, each write runs in its
/// own savepoint and a failing item is recorded and skipped (the answer says
/// whether any failed); without, the first failure is returned.
#[allow(clippy::too_many_arguments)]
fn apply<K: SyncKind>(
    conn: &mut DbConnection,
    org: &str,
    prepared: &[(usize, K::Write, K::Prepared)],
    deletes: &[String],
    first_delete: usize,
    existing: &Existing,
    results: &mut [ItemResult],
    isolate: bool,
    deferred: &mut String,
) -> Result<bool, ApiError> {
    let mut failed = false;
    for (i, w, p) in prepared {
        let ext = K::external_id(w).unwrap_or_default();
        let outcome = match existing.get(ext) {
            Some((id, stored, version)) if stored.as_deref() == Some(fingerprint(w)?.as_str()) => {
                Ok((Outcome::Unchanged, id.clone(), *version))
            }
            Some((id, _, _)) => {
                K::replace(conn, org, id, w, p, None).map(|(id, v)| (Outcome::Updated, id, v))
            }
            None if isolate => K::create(conn, org, w, p).map(|id| (Outcome::Created, id, 1)),
            None => K::insert(conn, org, w, p, deferred).map(|id| (Outcome::Created, id, 1)),
        };
        let r = &mut results[*i];
        match outcome {
            Ok((outcome, id, version)) => {
                r.outcome = outcome;
                r.id = Some(id);
                r.version = Some(version);
                r.problem = None;
            }
            Err(e) if isolate => {
                failed = true;
                r.id = None;
                r.version = None;
                r.problem = Some(item_problem(e, &format!("upsert[{i}]")));
            }
            Err(e) => return Err(e),
        }
    }
    for (j, ext) in deletes.iter().enumerate() {
        let r = &mut results[first_delete + j];
        match delete_by_external_id::<K>(conn, org, ext) {
            Ok(outcome) => {
                r.outcome = outcome;
                r.problem = None;
            }
            Err(e) if isolate => {
                failed = true;
                r.problem = Some(item_problem(e, &format!("delete[{j}]")));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(failed)
}

fn finish(mut results: Vec<ItemResult>, applied: bool) -> SyncResult {
    let mut counts = SyncCounts::default();
    for r in &mut results {
        if r.problem.is_some() {
            r.outcome = Outcome::Failed;
        } else if !applied {
            r.outcome = Outcome::RolledBack;
            r.id = None;
            r.version = None;
        }
        match r.outcome {
            Outcome::Created => counts.created += 1,
            Outcome::Updated => counts.updated += 1,
            Outcome::Unchanged => counts.unchanged += 1,
            Outcome::Deleted => counts.deleted += 1,
            Outcome::NotFound => counts.not_found += 1,
            Outcome::Failed => counts.failed += 1,
            Outcome::RolledBack => counts.rolled_back += 1,
        }
    }
    SyncResult {
        applied,
        counts,
        results,
    }
}

// The three kinds.

pub struct Groups;
pub struct Events;
pub struct Resources;

impl SyncKind for Groups {
    const TYPE: ListingType = ListingType::Group;
    type Write = crate::groups::dto::GroupWrite;
    type Prepared = crate::groups::queries::Prepared;

    fn prepare(w: &mut Self::Write) -> Result<Self::Prepared, ApiError> {
        w.validate()?;
        crate::groups::queries::Prepared::new(w.clone())
    }
    fn external_id(w: &Self::Write) -> Option<&str> {
        w.external_id.as_deref()
    }
    fn set_external_id(w: &mut Self::Write, ext: &str) {
        w.external_id = Some(ext.to_owned());
    }
    fn find_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> QueryResult<Option<String>> {
        support_groups::table
            .filter(support_groups::organization_id.eq(org))
            .filter(support_groups::external_id.eq(ext))
            .filter(support_groups::deleted_at.is_null())
            .select(support_groups::id)
            .first(conn)
            .optional()
    }
    fn current_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> Result<Option<(String, Self::Write, i64)>, ApiError> {
        Ok(crate::groups::queries::find_by_external_id(conn, org, ext)?
            .map(|(row, w)| (row.id, w, row.version)))
    }
    fn create(
        conn: &mut DbConnection,
        org: &str,
        _: &Self::Write,
        p: &Self::Prepared,
    ) -> Result<String, ApiError> {
        crate::groups::queries::create_id(conn, org, p)
    }
    fn insert(
        conn: &mut DbConnection,
        org: &str,
        _: &Self::Write,
        p: &Self::Prepared,
        deferred: &mut String,
    ) -> Result<String, ApiError> {
        crate::groups::queries::insert_deferring(conn, org, p, deferred)
    }
    fn current_many(
        conn: &mut DbConnection,
        org: &str,
        exts: &[String],
    ) -> Result<Existing, ApiError> {
        crate::groups::queries::find_many_by_external_id(conn, org, exts)
    }
    fn replace(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
        _: &Self::Write,
        p: &Self::Prepared,
        precondition: Option<&IfMatch>,
    ) -> Result<(String, i64), ApiError> {
        crate::groups::queries::update(conn, org, id, precondition, |_| Ok(p.clone()))
            .map(|r| (r.id, r.version))
    }
    fn delete(conn: &mut DbConnection, org: &str, id: &str) -> Result<(), ApiError> {
        crate::groups::queries::delete(conn, org, id, None)
    }
    fn owner_view(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
    ) -> Result<serde_json::Value, ApiError> {
        use crate::groups::queries;
        let row =
            queries::find_owned(conn, id, org)?.ok_or_else(|| ApiError::not_found("group"))?;
        let view = queries::responses(conn, &[row], |_| true)?.pop();
        serde_json::to_value(view).map_err(ApiError::internal)
    }
}

impl SyncKind for Events {
    const TYPE: ListingType = ListingType::Event;
    type Write = crate::events::dto::EventWrite;
    type Prepared = crate::events::queries::Prepared;

    fn prepare(w: &mut Self::Write) -> Result<Self::Prepared, ApiError> {
        let recurrence = w.validate()?;
        crate::events::queries::Prepared::new(w.clone(), recurrence)
    }
    fn external_id(w: &Self::Write) -> Option<&str> {
        w.external_id.as_deref()
    }
    fn set_external_id(w: &mut Self::Write, ext: &str) {
        w.external_id = Some(ext.to_owned());
    }
    fn find_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> QueryResult<Option<String>> {
        events::table
            .filter(events::organization_id.eq(org))
            .filter(events::external_id.eq(ext))
            .filter(events::deleted_at.is_null())
            .select(events::id)
            .first(conn)
            .optional()
    }
    fn current_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> Result<Option<(String, Self::Write, i64)>, ApiError> {
        use crate::events::queries;
        let Some(id) = Self::find_by_external_id(conn, org, ext)? else {
            return Ok(None);
        };
        let row =
            queries::find_owned(conn, &id, org)?.ok_or_else(|| ApiError::not_found("event"))?;
        let topics = queries::topics(conn, std::slice::from_ref(&row.id))?;
        let w = row.to_write(topics.get(&id).map(Vec::as_slice).unwrap_or(&[]))?;
        Ok(Some((id, w, row.version)))
    }
    fn create(
        conn: &mut DbConnection,
        org: &str,
        _: &Self::Write,
        p: &Self::Prepared,
    ) -> Result<String, ApiError> {
        crate::events::queries::create(conn, org, p).map(|r| r.id)
    }
    fn replace(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
        _: &Self::Write,
        p: &Self::Prepared,
        precondition: Option<&IfMatch>,
    ) -> Result<(String, i64), ApiError> {
        crate::events::queries::update(conn, org, id, precondition, |_| Ok(p.clone()))
            .map(|r| (r.id, r.version))
    }
    fn delete(conn: &mut DbConnection, org: &str, id: &str) -> Result<(), ApiError> {
        crate::events::queries::delete(conn, org, id, None)
    }
    fn owner_view(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
    ) -> Result<serde_json::Value, ApiError> {
        use crate::events::queries;
        let row =
            queries::find_owned(conn, id, org)?.ok_or_else(|| ApiError::not_found("event"))?;
        let view = queries::responses(conn, &[row], |_| true)?.pop();
        serde_json::to_value(view).map_err(ApiError::internal)
    }
}

impl SyncKind for Resources {
    const TYPE: ListingType = ListingType::Resource;
    type Write = crate::resources::dto::ResourceWrite;
    type Prepared = ();

    fn prepare(w: &mut Self::Write) -> Result<(), ApiError> {
        w.validate()
    }
    fn external_id(w: &Self::Write) -> Option<&str> {
        w.external_id.as_deref()
    }
    fn set_external_id(w: &mut Self::Write, ext: &str) {
        w.external_id = Some(ext.to_owned());
    }
    fn find_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> QueryResult<Option<String>> {
        resources::table
            .filter(resources::organization_id.eq(org))
            .filter(resources::external_id.eq(ext))
            .filter(resources::deleted_at.is_null())
            .select(resources::id)
            .first(conn)
            .optional()
    }
    fn current_by_external_id(
        conn: &mut DbConnection,
        org: &str,
        ext: &str,
    ) -> Result<Option<(String, Self::Write, i64)>, ApiError> {
        use crate::resources::queries;
        let Some(id) = Self::find_by_external_id(conn, org, ext)? else {
            return Ok(None);
        };
        let row =
            queries::find_owned(conn, &id, org)?.ok_or_else(|| ApiError::not_found("resource"))?;
        let attrs = queries::attributes(conn, std::slice::from_ref(&row.id))?;
        let w = row.to_write(&attrs.get(&id).cloned().unwrap_or_default())?;
        Ok(Some((id, w, row.version)))
    }
    fn create(
        conn: &mut DbConnection,
        org: &str,
        w: &Self::Write,
        _: &(),
    ) -> Result<String, ApiError> {
        crate::resources::queries::create(conn, org, w).map(|r| r.id)
    }
    fn replace(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
        w: &Self::Write,
        _: &(),
        precondition: Option<&IfMatch>,
    ) -> Result<(String, i64), ApiError> {
        crate::resources::queries::update(conn, org, id, precondition, |_| Ok(w.clone()))
            .map(|r| (r.id, r.version))
    }
    fn delete(conn: &mut DbConnection, org: &str, id: &str) -> Result<(), ApiError> {
        crate::resources::queries::delete(conn, org, id, None)
    }
    fn owner_view(
        conn: &mut DbConnection,
        org: &str,
        id: &str,
    ) -> Result<serde_json::Value, ApiError> {
        use crate::resources::queries;
        let row =
            queries::find_owned(conn, id, org)?.ok_or_else(|| ApiError::not_found("resource"))?;
        let view = queries::responses(conn, &[row])?.pop();
        serde_json::to_value(view).map_err(ApiError::internal)
    }
}
