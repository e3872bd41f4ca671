//! Keeping a partner's listings in step with its own system, for every kind
//! of listing: upsert by the partner's `external_id` (the same body twice
//! changes nothing the second time) and bulk sync of up to 1,000 items, each
//! applied in its own savepoint so one bad item never spoils the others (or
//! all-or-nothing with `atomic=true`). The HTTP side is [`super::handlers::sync`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, fingerprint};
use super::Listing;
use crate::db::DbConnection;
use crate::error::{ApiError, FieldError, Problem};
use crate::middleware::IfMatch;

/// Existing listings by external id: id, fingerprint of the stored values,
/// version.
pub type Existing = std::collections::HashMap<String, (String, String, i64)>;

/// The live listings of `org` with these external ids, by external id, with
/// the fingerprint of their stored values: from its column where the kind
/// keeps one, else computed from the rows and their join values (two
/// queries).
pub fn existing<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    exts: &[String],
) -> Result<Existing, ApiError> {
    if let Some(column) = L::FINGERPRINT_COLUMN {
        return stored_fingerprints::<L>(conn, org, exts, column);
    }
    let rows = store::find_many_by_external_id::<L>(conn, org, exts)?;
    let mut out = Existing::new();
    for (r, w) in rows.iter().zip(store::writes::<L>(conn, &rows)?) {
        let m = L::meta(r);
        if let Some(ext) = m.external_id {
            out.insert(
                ext.to_owned(),
                (m.id.to_owned(), fingerprint(&w)?, m.version),
            );
        }
    }
    Ok(out)
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

impl Outcome {
    /// As it is spelled in answers (and metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Deleted => "deleted",
            Outcome::NotFound => "not_found",
            Outcome::Failed => "failed",
            Outcome::RolledBack => "rolled_back",
        }
    }
}

/// Create or replace the listing with this `external_id`; an identical body
/// writes nothing (no new version, no change-log entry). The comparison is a
/// plain read, so an unchanged item costs two queries; only a write takes a
/// transaction (a savepoint inside a bulk sync) and, for a replace, the row
/// lock. Two writers racing to create the same `external_id` meet the
/// unique index: one gets `external_id_taken`.
pub fn upsert<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    p: &L::Prepared,
    precondition: Option<&IfMatch>,
) -> Result<(Outcome, String, i64), ApiError> {
    let w = L::write_of(p);
    let ext = L::external_id(w)
        .ok_or_else(|| ApiError::field("external_id", "is required to sync"))?
        .to_owned();
    match current_by_external_id::<L>(conn, org, &ext)? {
        // `If-Match` on a listing that does not exist cannot hold (RFC 9110).
        None if precondition.is_some() => Err(ApiError::PreconditionFailed(
            "`If-Match` was sent, but you have no listing with this `external_id`".into(),
        )),
        None => {
            let id = create_id::<L>(conn, org, p)?;
            Ok((Outcome::Created, id, 1))
        }
        Some((id, current, version)) if &current == w => {
            IfMatch::check(precondition, version)?;
            Ok((Outcome::Unchanged, id, version))
        }
        Some((id, _, _)) => {
            // Checked again under the row lock by the update.
            let (id, v) = replace::<L>(conn, org, &id, p, precondition)?;
            Ok((Outcome::Updated, id, v))
        }
    }
}

/// Delete the listing with this `external_id`, if there is one.
pub fn delete_by_external_id<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    ext: &str,
) -> Result<Outcome, ApiError> {
    // No external id contains NUL (and PostgreSQL refuses it in a parameter).
    if ext.contains('\0') {
        return Ok(Outcome::NotFound);
    }
    crate::db::write_transaction(conn, |conn| match id_by_external_id::<L>(conn, org, ext)? {
        None => Ok(Outcome::NotFound),
        Some(id) => {
            store::delete::<L>(conn, org, &id, None)?;
            Ok(Outcome::Deleted)
        }
    })
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
pub fn bulk<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    req: SyncRequest,
    atomic: bool,
) -> Result<SyncResult, ApiError> {
    let mut results: Vec<ItemResult> = Vec::with_capacity(req.upsert.len() + req.delete.len());
    // Each valid item with the fingerprint of its normalized body.
    let mut prepared: Vec<(usize, L::Prepared, String)> = Vec::new();
    for (i, value) in req.upsert.into_iter().enumerate() {
        let prefix = format!("upsert[{i}]");
        let raw_external_id = value
            .get("external_id")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let parsed = crate::extract::from_value::<L::Write>(value).and_then(|w| {
            if L::external_id(&w).is_none() {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "external_id",
                    "is required to sync",
                )]));
            }
            let p = L::prepare(w)?;
            let hash = fingerprint(L::write_of(&p))?;
            Ok((p, hash))
        });
        match parsed {
            Ok((p, hash)) => {
                results.push(ItemResult {
                    index: i,
                    operation: "upsert".into(),
                    external_id: L::external_id(L::write_of(&p)).map(str::to_owned),
                    outcome: Outcome::Failed,
                    id: None,
                    version: None,
                    problem: None,
                });
                prepared.push((i, p, hash));
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
        return Ok(finish::<L>(results, false));
    }
    // One read (inside each attempt's transaction) for every item that
    // already exists: unchanged items then cost no query of their own.
    let exts: Vec<String> = prepared
        .iter()
        .filter_map(|(_, p, _)| L::external_id(L::write_of(p)).map(str::to_owned))
        .collect();
    // What new and changed items derive (expanding schedules) is computed
    // before the write lock; a read outside the transaction says which
    // items those are (the transaction reads again and is what counts).
    let before = existing::<L>(conn, org, &exts)?;
    for (_, p, hash) in &prepared {
        let stored = L::external_id(L::write_of(p)).and_then(|e| before.get(e));
        if stored.is_none_or(|(_, stored, _)| stored != hash) {
            L::derive(p)?;
        }
    }
    // Fast path: no savepoints; any failing write rolls the whole batch back
    // and the batch is replayed with a savepoint per item, which isolates the
    // failures (or, with `atomic`, reports them all and applies nothing).
    let attempt = |conn: &mut DbConnection,
                   results: &mut [ItemResult],
                   isolate: bool,
                   deferred: &mut String| {
        let existing = existing::<L>(conn, org, &exts)?;
        let (prepared, deletes) = (&prepared, &req.delete);
        apply::<L>(
            conn,
            org,
            prepared,
            deletes,
            first_delete,
            &existing,
            results,
            isolate,
            deferred,
        )
    };
    let fast = crate::db::write_transaction(conn, |conn| {
        let mut deferred = String::new();
        attempt(conn, &mut results, false, &mut deferred)?;
        // New listings' join rows and change-log entries, in one round trip.
        if !deferred.is_empty() {
            diesel::connection::SimpleConnection::batch_execute(conn, &deferred)?;
        }
        Ok(())
    });
    match fast {
        Ok(()) => return Ok(finish::<L>(results, true)),
        Err(ApiError::Internal(e)) => return Err(ApiError::Internal(e)),
        Err(_) => {}
    }
    let outcome = crate::db::write_transaction(conn, |conn| {
        let failed = attempt(conn, &mut results, true, &mut String::new())?;
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
        Ok(()) => Ok(finish::<L>(results, true)),
        Err(ApiError::Conflict {
            code: "rolled_back",
            ..
        }) => Ok(finish::<L>(results, false)),
        Err(e) => Err(e),
    }
}

/// Apply the valid items in order. With `isolate`, each write runs in its
/// own savepoint and a failing item is recorded and skipped (the answer says
/// whether any failed); without, the first failure is returned.
#[allow(clippy::too_many_arguments)]
fn apply<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    prepared: &[(usize, L::Prepared, String)],
    deletes: &[String],
    first_delete: usize,
    existing: &Existing,
    results: &mut [ItemResult],
    isolate: bool,
    deferred: &mut String,
) -> Result<bool, ApiError> {
    let mut failed = false;
    for (i, p, hash) in prepared {
        let ext = L::external_id(L::write_of(p)).unwrap_or_default();
        let outcome = match existing.get(ext) {
            Some((id, stored, version)) if stored == hash => {
                Ok((Outcome::Unchanged, id.clone(), *version))
            }
            Some((id, _, _)) => {
                replace::<L>(conn, org, id, p, None).map(|(id, v)| (Outcome::Updated, id, v))
            }
            None if isolate => create_id::<L>(conn, org, p).map(|id| (Outcome::Created, id, 1)),
            None => store::insert_deferring::<L>(conn, org, p, deferred)
                .map(|id| (Outcome::Created, id, 1)),
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
        match delete_by_external_id::<L>(conn, org, ext) {
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

fn finish<L: Listing>(mut results: Vec<ItemResult>, applied: bool) -> SyncResult {
    let mut counts = SyncCounts::default();
    for r in &mut results {
        if r.problem.is_some() {
            r.outcome = Outcome::Failed;
        } else if !applied {
            r.outcome = Outcome::RolledBack;
            r.id = None;
            r.version = None;
        }
        crate::metrics::metrics()
            .sync_items
            .with_label_values(&[L::KIND.as_str(), r.outcome.as_str()])
            .inc();
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

/// The id, stored values (as a write body) and version of the live listing
/// of `org` with this external id.
fn current_by_external_id<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    ext: &str,
) -> Result<Option<(String, L::Write, i64)>, ApiError> {
    let rows = store::find_many_by_external_id::<L>(conn, org, &[ext.to_owned()])?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let w = store::writes::<L>(conn, std::slice::from_ref(&row))?
        .pop()
        .ok_or_else(|| ApiError::internal("no write built"))?;
    let m = L::meta(&row);
    Ok(Some((m.id.to_owned(), w, m.version)))
}

fn id_by_external_id<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    ext: &str,
) -> Result<Option<String>, ApiError> {
    Ok(
        store::find_many_by_external_id::<L>(conn, org, &[ext.to_owned()])?
            .first()
            .map(|r| L::meta(r).id.to_owned()),
    )
}

/// Create in its own transaction (a savepoint inside another); the new id.
fn create_id<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    p: &L::Prepared,
) -> Result<String, ApiError> {
    L::derive(p)?;
    crate::db::write_transaction(conn, |conn| store::insert::<L>(conn, org, p))
}

fn replace<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    id: &str,
    p: &L::Prepared,
    precondition: Option<&IfMatch>,
) -> Result<(String, i64), ApiError> {
    let row = store::update::<L>(conn, org, id, precondition, |_| Ok(p.clone()))?;
    let m = L::meta(&row);
    Ok((m.id.to_owned(), m.version))
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = diesel::sql_types::Text)]
    external_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    fingerprint: Option<String>,
}

/// [`existing`] for a kind that keeps its fingerprint in a column: four
/// columns of the rows, one query per 500 external ids. A row without one
/// (written before the column) compares as changed.
fn stored_fingerprints<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    exts: &[String],
    column: &str,
) -> Result<Existing, ApiError> {
    use crate::db::sql::{Bind, SqlBuilder};
    let mut out = Existing::new();
    for chunk in exts.chunks(500) {
        let mut b = SqlBuilder::new(conn);
        let org = b.param(Bind::Text(org.to_owned()));
        let list = b.in_list(chunk.iter().map(|e| Bind::Text(e.clone())));
        b.push(&format!(
            "SELECT external_id, id, version, {column} AS fingerprint FROM {} \
             WHERE organization_id = {org} AND external_id {list} AND deleted_at IS NULL",
            L::TABLE
        ));
        for r in b.load::<Stored>(conn)? {
            out.insert(
                r.external_id,
                (r.id, r.fingerprint.unwrap_or_default(), r.version),
            );
        }
    }
    Ok(out)
}
