//! Reading and writing listings of any kind (see [`Listing`]): one way to
//! find, create, update and soft-delete, and to write join rows (batched).

use std::collections::HashMap;

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;

use super::{JoinValues, Listing, OrganizationSummary};
use crate::changelog;
use crate::db::schema::organizations;
use crate::db::sql::{Bind, SqlBuilder};
use crate::db::{lock_row, sql_token, write_transaction, DbConnection};
use crate::error::ApiError;
use crate::middleware::IfMatch;

/// The live (not deleted) row of kind `L` with this id.
pub fn find_live<L: Listing>(conn: &mut DbConnection, id: &str) -> QueryResult<Option<L::Row>> {
    let mut b = SqlBuilder::new(conn);
    let id = b.param(Bind::Text(id.to_owned()));
    b.push(&format!(
        "SELECT * FROM {} WHERE id = {id} AND deleted_at IS NULL",
        L::TABLE
    ));
    Ok(b.load::<L::Row>(conn)?.pop())
}

/// A live listing, if `viewer_org` may see it: published listings for
/// everyone, any status for its own organization.
pub fn find_visible<L: Listing>(
    conn: &mut DbConnection,
    id: &str,
    viewer_org: Option<&str>,
) -> QueryResult<Option<L::Row>> {
    Ok(find_live::<L>(conn, id)?.filter(|r| {
        let m = L::meta(r);
        m.published || viewer_org == Some(m.organization_id)
    }))
}

/// The listing `id` as `viewer_org` may read it (404 otherwise), and
/// whether `viewer_org` owns it (and so sees every detail).
pub fn find_readable<L: Listing>(
    conn: &mut DbConnection,
    id: &str,
    viewer_org: Option<&str>,
) -> Result<(L::Row, bool), ApiError> {
    let row =
        find_visible::<L>(conn, id, viewer_org)?.ok_or_else(|| ApiError::not_found(L::NOUN))?;
    let owner = viewer_org == Some(L::meta(&row).organization_id);
    Ok((row, owner))
}

/// A live listing of organization `org`.
pub fn find_owned<L: Listing>(
    conn: &mut DbConnection,
    id: &str,
    org: &str,
) -> QueryResult<Option<L::Row>> {
    Ok(find_live::<L>(conn, id)?.filter(|r| L::meta(r).organization_id == org))
}

/// The live listings of `org` with these external ids.
pub fn find_many_by_external_id<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    exts: &[String],
) -> QueryResult<Vec<L::Row>> {
    let mut rows = Vec::new();
    for chunk in exts.chunks(500) {
        let mut b = SqlBuilder::new(conn);
        let org = b.param(Bind::Text(org.to_owned()));
        let list = b.in_list(chunk.iter().map(|e| Bind::Text(e.clone())));
        b.push(&format!(
            "SELECT * FROM {} WHERE organization_id = {org} AND external_id {list} \
             AND deleted_at IS NULL",
            L::TABLE
        ));
        rows.extend(b.load::<L::Row>(conn)?);
    }
    Ok(rows)
}

#[derive(QueryableByName)]
struct JoinRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    owner: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The join-table values of several listings, in one query (values in each
/// table in their text order; a kind sorts vocabularies its own way).
pub fn join_values<L: Listing>(
    conn: &mut DbConnection,
    ids: &[&str],
) -> Result<HashMap<String, JoinValues>, ApiError> {
    let mut map: HashMap<String, JoinValues> = ids
        .iter()
        .map(|id| (id.to_string(), vec![Vec::new(); L::JOINS.len()]))
        .collect();
    if ids.is_empty() || L::JOINS.is_empty() {
        return Ok(map);
    }
    let list = ids
        .iter()
        .map(|id| sql_token(id).map(|id| format!("'{id}'")))
        .collect::<QueryResult<Vec<_>>>()?
        .join(", ");
    let sql = L::JOINS
        .iter()
        .enumerate()
        .map(|(n, (table, owner, value))| {
            format!(
                "SELECT CAST({n} AS BIGINT) AS n, {owner} AS owner, {value} AS value FROM {table} \
                 WHERE {owner} IN ({list})"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows: Vec<JoinRow> = diesel::sql_query(format!("{sql} ORDER BY 1, 2, 3")).load(conn)?;
    for r in rows {
        if let Some(slot) = map.get_mut(&r.owner).and_then(|v| v.get_mut(r.n as usize)) {
            slot.push(r.value);
        }
    }
    Ok(map)
}

/// The statements that replace a listing's join rows (and its derived
/// tables); with `fresh` (a new listing) there is nothing to delete first.
fn join_rows_sql<L: Listing>(id: &str, p: &L::Prepared, fresh: bool) -> QueryResult<String> {
    let tables: Vec<crate::db::JoinRows<'_>> = L::JOINS
        .iter()
        .zip(L::join_values(L::write_of(p)))
        .map(|(&(table, owner, value), values)| (table, owner, value, values))
        .collect();
    let mut sql = crate::db::join_rows_sql(id, &tables, fresh)?;
    sql.push_str(&L::derived_sql(id, p)?);
    Ok(sql)
}

/// The stored values of rows, as write bodies.
pub fn writes<L: Listing>(
    conn: &mut DbConnection,
    rows: &[L::Row],
) -> Result<Vec<L::Write>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| L::meta(r).id).collect();
    let joins = join_values::<L>(conn, &ids)?;
    rows.iter()
        .map(|r| {
            L::to_write(
                r,
                joins.get(L::meta(r).id).map(Vec::as_slice).unwrap_or(&[]),
            )
        })
        .collect()
}

/// Summaries of the organizations behind listings, by id.
pub fn organizations_of(
    conn: &mut DbConnection,
    ids: &[&str],
) -> QueryResult<HashMap<String, OrganizationSummary>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(String, String, String, bool)> = organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((
            organizations::id,
            organizations::slug,
            organizations::name,
            organizations::verified,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, verified)| {
            let s = OrganizationSummary {
                id: id.clone(),
                slug,
                name,
                verified,
            };
            (id, s)
        })
        .collect())
}

/// Responses for rows, with their join values and organizations, in three
/// queries whatever the number of rows.
pub fn responses<L: Listing>(
    conn: &mut DbConnection,
    rows: &[L::Row],
    privileged: impl Fn(&L::Row) -> bool,
) -> Result<Vec<L::Response>, ApiError> {
    let ids: Vec<&str> = rows.iter().map(|r| L::meta(r).id).collect();
    let joins = join_values::<L>(conn, &ids)?;
    let org_ids: Vec<&str> = rows.iter().map(|r| L::meta(r).organization_id).collect();
    let orgs = organizations_of(conn, &org_ids)?;
    rows.iter()
        .map(|r| {
            let m = L::meta(r);
            let org = orgs
                .get(m.organization_id)
                .cloned()
                .ok_or_else(|| ApiError::internal(format!("{} without organization", L::NOUN)))?;
            let joins = joins.get(m.id).map(Vec::as_slice).unwrap_or(&[]);
            L::to_response(r, joins, org, privileged(r))
        })
        .collect()
}

/// The response for one row.
pub fn response<L: Listing>(
    conn: &mut DbConnection,
    row: L::Row,
    privileged: bool,
) -> Result<L::Response, ApiError> {
    responses::<L>(conn, std::slice::from_ref(&row), |_| privileged)?
        .pop()
        .ok_or_else(|| ApiError::internal("no response built"))
}

/// The public view of a live, published listing (`None`: not public).
pub fn public_view<L: Listing>(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<L::Response>, ApiError> {
    match find_visible::<L>(conn, id, None)? {
        Some(row) => Ok(Some(response::<L>(conn, row, false)?)),
        None => Ok(None),
    }
}

/// Its organization's view of a live listing as JSON.
pub fn owner_json<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    id: &str,
) -> Result<serde_json::Value, ApiError> {
    let row = find_owned::<L>(conn, id, org)?.ok_or_else(|| ApiError::not_found(L::NOUN))?;
    json(&response::<L>(conn, row, true)?)
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// `409 external_id_taken`: another live listing of the organization has
/// this `external_id` (`noun` is the plural kind, e.g. `groups`).
pub fn external_id_taken(noun: &str, ext: &str) -> ApiError {
    ApiError::Conflict {
        code: "external_id_taken",
        detail: format!("another of your {noun} already has external_id `{ext}`"),
    }
}

/// Map a write's database error: a unique violation on a listing table can
/// only be its `external_id` index (the unique index is the check, also for
/// two writers racing).
fn on_write_error<L: Listing>(e: diesel::result::Error, p: &L::Prepared) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match (&e, L::external_id(L::write_of(p))) {
        (Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _), Some(ext)) => {
            external_id_taken(L::KIND.plural(), ext)
        }
        _ => e.into(),
    }
}

/// Insert a listing of `org` inside the caller's transaction; returns its
/// id. Its join rows, derived rows and change-log entry are appended to
/// `deferred`, which the caller runs before its transaction ends (a bulk
/// sync runs them all in one round trip).
pub fn insert_deferring<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    p: &L::Prepared,
    deferred: &mut String,
) -> Result<String, ApiError> {
    L::check(conn, org, p)?;
    let id = uuid::Uuid::now_v7().to_string();
    L::insert_row(conn, &id, org, p).map_err(|e| on_write_error::<L>(e, p))?;
    deferred.push_str(&join_rows_sql::<L>(&id, p, true)?);
    deferred.push_str(&changelog::record_sql(conn, L::KIND, &id, org)?);
    Ok(id)
}

/// Insert a listing of `org` inside the caller's transaction, its join rows
/// and change-log entry in one more round trip; returns its id.
pub fn insert<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    p: &L::Prepared,
) -> Result<String, ApiError> {
    let mut sql = String::new();
    let id = insert_deferring::<L>(conn, org, p, &mut sql)?;
    conn.batch_execute(&sql)?;
    Ok(id)
}

/// Create a listing of `org` in its own transaction (a savepoint inside
/// another); returns the new row.
pub fn create<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    p: &L::Prepared,
) -> Result<L::Row, ApiError> {
    L::derive(p)?;
    write_transaction(conn, |conn| {
        let id = insert::<L>(conn, org, p)?;
        find_owned::<L>(conn, &id, org)?
            .ok_or_else(|| ApiError::internal(format!("{} vanished after insert", L::NOUN)))
    })
}

/// Change listing `id` of organization `org`: `change` receives the current
/// values and returns the new ones, validated and prepared. It runs outside
/// the write transaction, which writes only if nobody changed the listing
/// meanwhile (see [`update_outside_lock`]): concurrent edits never overwrite
/// each other and every change bumps the version.
pub fn update<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    id: &str,
    precondition: Option<&IfMatch>,
    change: impl Fn(L::Write) -> Result<L::Prepared, ApiError>,
) -> Result<L::Row, ApiError> {
    let read = |conn: &mut DbConnection| {
        let row = find_owned::<L>(conn, id, org)?.ok_or_else(|| ApiError::not_found(L::NOUN))?;
        let version = L::meta(&row).version;
        let w = writes::<L>(conn, std::slice::from_ref(&row))?
            .pop()
            .ok_or_else(|| ApiError::internal("no write built"))?;
        Ok((w, version))
    };
    let write = |conn: &mut DbConnection, p: &L::Prepared| {
        L::check(conn, org, p)?;
        L::update_row(conn, id, p).map_err(|e| on_write_error::<L>(e, p))?;
        conn.batch_execute(&join_rows_sql::<L>(id, p, false)?)?;
        changelog::record(conn, L::KIND, id, org)?;
        find_owned::<L>(conn, id, org)?
            .ok_or_else(|| ApiError::internal(format!("{} vanished after update", L::NOUN)))
    };
    let change = |w: L::Write| {
        let p = change(w)?;
        L::derive(&p)?;
        Ok(p)
    };
    update_outside_lock(conn, L::TABLE, id, precondition, read, change, write)
}

/// Soft-delete: the row stays as a tombstone; the API answers 404 from now on
/// and the `external_id` is free again.
pub fn delete<L: Listing>(
    conn: &mut DbConnection,
    org: &str,
    id: &str,
    precondition: Option<&IfMatch>,
) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        lock_row(conn, L::TABLE, id)?;
        let current =
            find_owned::<L>(conn, id, org)?.ok_or_else(|| ApiError::not_found(L::NOUN))?;
        IfMatch::check(precondition, L::meta(&current).version)?;
        let mut b = SqlBuilder::new(conn);
        let now = b.param(Bind::Timestamp(Utc::now().naive_utc()));
        let id_p = b.param(Bind::Text(id.to_owned()));
        b.push(&format!(
            "UPDATE {} SET deleted_at = {now}, updated_at = {now}, version = version + 1 \
             WHERE id = {id_p}",
            L::TABLE
        ));
        b.execute(conn)?;
        changelog::record(conn, L::KIND, id, org)?;
        Ok(())
    })
}

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

/// How many times an edit is computed outside the write transaction before
/// the last try computes it inside (see [`update_outside_lock`]).
const OPTIMISTIC_TRIES: usize = 8;

/// Read-change-write of listing `id` in `table` without doing the costly
/// part (validation and expanding schedules into derived columns, in
/// `change`) while the write lock is held: read the current values and
/// version, compute the new ones, then in a short write transaction lock the
/// row and write only if its version is still the one read (else start
/// again: a concurrent edit is never overwritten, and `If-Match` is checked
/// against the version actually replaced). After [`OPTIMISTIC_TRIES`]
/// collisions the last try runs whole inside the transaction, so an edit
/// always makes progress.
pub fn update_outside_lock<C, P, R>(
    conn: &mut crate::db::DbConnection,
    table: &'static str,
    id: &str,
    precondition: Option<&crate::middleware::IfMatch>,
    mut read: impl FnMut(&mut crate::db::DbConnection) -> Result<(C, i64), crate::error::ApiError>,
    change: impl Fn(C) -> Result<P, crate::error::ApiError>,
    mut write: impl FnMut(&mut crate::db::DbConnection, &P) -> Result<R, crate::error::ApiError>,
) -> Result<R, crate::error::ApiError> {
    for _ in 0..OPTIMISTIC_TRIES {
        let (current, version) = read(conn)?;
        IfMatch::check(precondition, version)?;
        let next = change(current)?;
        let written = write_transaction(conn, |conn| {
            lock_row(conn, table, id)?;
            if live_version(conn, table, id)? != Some(version) {
                return Ok(None);
            }
            write(conn, &next).map(Some)
        })?;
        if let Some(r) = written {
            return Ok(r);
        }
    }
    write_transaction(conn, |conn| {
        lock_row(conn, table, id)?;
        let (current, version) = read(conn)?;
        IfMatch::check(precondition, version)?;
        let next = change(current)?;
        write(conn, &next)
    })
}

#[derive(diesel::QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

/// The version of a live (not deleted) listing.
fn live_version(
    conn: &mut crate::db::DbConnection,
    table: &'static str,
    id: &str,
) -> diesel::QueryResult<Option<i64>> {
    use diesel::{OptionalExtension, RunQueryDsl};
    diesel::sql_query(format!(
        "SELECT version FROM {table} WHERE id = $1 AND deleted_at IS NULL"
    ))
    .bind::<diesel::sql_types::Text, _>(id)
    .get_result::<VersionRow>(conn)
    .optional()
    .map(|r| r.map(|r| r.version))
}
