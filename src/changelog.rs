//! The change log: every create, update, publish, unpublish and delete of a
//! listing appends an entry in the same transaction as the change. The feed
//! that serves it (`GET /v1/changes`) is `crate::changes`.
//!
//! The feed serves, in commit order, the entries that are still the latest
//! for their listing, rendered at read time as a public read would show the
//! listing (`upsert`), or as a tombstone (`delete`) when it is no longer
//! public. Superseded entries are skipped: their listing's later entry comes
//! after them, so a mirror that follows the feed ends exactly where the
//! directory is.
//!
//! Ordering: on PostgreSQL a sequence number is taken at insert, not at
//! commit, so entry 10 could commit after entry 11 and a reader already past
//! 11 would never see it. Appends therefore take a transaction-level advisory
//! lock, held until commit: entries commit in sequence order. SQLite has one
//! writer at a time and needs nothing.

use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{change_horizon, changes};
use crate::db::DbConnection;

/// Advisory lock key serializing change-log appends on PostgreSQL.
const APPEND_LOCK_KEY: i64 = 0x0C12_C1E6;

/// The kinds of listing the change log tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingType {
    Group,
    Event,
    Resource,
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

impl ListingType {
    pub const ALL: [ListingType; 3] = [
        ListingType::Group,
        ListingType::Event,
        ListingType::Resource,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ListingType::Group => "group",
            ListingType::Event => "event",
            ListingType::Resource => "resource",
        }
    }

    pub fn parse(s: &str) -> Option<ListingType> {
        ListingType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The statements that append an entry for listing `id` (run them inside
/// the change's transaction, possibly batched with the change's own).
pub fn record_sql(
    conn: &DbConnection,
    kind: ListingType,
    id: &str,
    organization_id: &str,
) -> QueryResult<String> {
    let (id, org) = (
        crate::db::sql_token(id)?,
        crate::db::sql_token(organization_id)?,
    );
    let now = Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S%.6f");
    let insert = format!(
        "INSERT INTO changes (entity_type, entity_id, organization_id, changed_at) VALUES ('{}', '{id}', '{org}', '{now}');",
        kind.as_str()
    );
    Ok(match conn {
        DbConnection::Pg(_) => format!("SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY}); {insert}"),
        DbConnection::Sqlite(_) => insert,
    })
}

/// Append an entry for listing `id` (call inside the change's transaction).
/// One round trip: the lock and the insert go as one batch.
pub fn record(
    conn: &mut DbConnection,
    kind: ListingType,
    id: &str,
    organization_id: &str,
) -> QueryResult<()> {
    let sql = record_sql(conn, kind, id, organization_id)?;
    conn.batch_execute(&sql)
}

/// Record the listings of an organization whose embedded summary changed.
pub fn record_organization_listings(
    conn: &mut DbConnection,
    organization_id: &str,
) -> QueryResult<()> {
    use crate::db::schema::{events, resources, support_groups};
    let groups: Vec<String> = support_groups::table
        .filter(support_groups::organization_id.eq(organization_id))
        .filter(support_groups::deleted_at.is_null())
        .select(support_groups::id)
        .load(conn)?;
    let evs: Vec<String> = events::table
        .filter(events::organization_id.eq(organization_id))
        .filter(events::deleted_at.is_null())
        .select(events::id)
        .load(conn)?;
    let res: Vec<String> = resources::table
        .filter(resources::organization_id.eq(organization_id))
        .filter(resources::deleted_at.is_null())
        .select(resources::id)
        .load(conn)?;
    for (kind, ids) in [
        (ListingType::Group, groups),
        (ListingType::Event, evs),
        (ListingType::Resource, res),
    ] {
        for id in ids {
            record(conn, kind, &id, organization_id)?;
        }
    }
    Ok(())
}

/// One stored entry.
#[derive(Debug, Clone, Queryable)]
pub struct Entry {
    pub seq: i64,
    pub entity_type: String,
    pub entity_id: String,
    pub changed_at: NaiveDateTime,
}

/// Entries after `after` that are still the latest for their listing, in
/// sequence order, at most `limit`.
pub fn latest_after(
    conn: &mut DbConnection,
    after: i64,
    types: &[ListingType],
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let later = diesel::alias!(changes as later);
    let mut q = changes::table
        .filter(changes::seq.gt(after))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            later
                .filter(later.field(changes::entity_id).eq(changes::entity_id))
                .filter(later.field(changes::seq).gt(changes::seq))
                .select(later.field(changes::seq)),
        )))
        .select((
            changes::seq,
            changes::entity_type,
            changes::entity_id,
            changes::changed_at,
        ))
        .into_boxed();
    if types.len() < ListingType::ALL.len() {
        q = q.filter(
            changes::entity_type.eq_any(types.iter().map(|t| t.as_str()).collect::<Vec<_>>()),
        );
    }
    q.order(changes::seq.asc()).limit(limit).load(conn)
}

/// The oldest cursor position the feed can still serve (0: all of it).
/// The latest entry's sequence number and time, if any.
pub fn latest(conn: &mut DbConnection) -> QueryResult<Option<(i64, chrono::NaiveDateTime)>> {
    changes::table
        .order(changes::seq.desc())
        .select((changes::seq, changes::changed_at))
        .first(conn)
        .optional()
}

pub fn horizon(conn: &mut DbConnection) -> QueryResult<i64> {
    change_horizon::table
        .find(1)
        .select(change_horizon::min_seq)
        .first(conn)
}

/// Forget entries older than `cutoff`: superseded ones (never served anyway)
/// and tombstones of listings no longer public. Cursors before the newest
/// forgotten tombstone can no longer be served (`410 Gone`). Returns how
/// many entries were removed and the new horizon.
pub fn prune(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<(usize, i64)> {
    crate::db::write_transaction(conn, |conn| {
        let p = match conn {
            DbConnection::Sqlite(_) => "?",
            DbConnection::Pg(_) => "$1",
        };
        let superseded = diesel::sql_query(format!(
            "DELETE FROM changes WHERE changed_at < {p} AND EXISTS \
             (SELECT 1 FROM changes later WHERE later.entity_id = changes.entity_id AND later.seq > changes.seq)"
        ))
        .bind::<diesel::sql_types::Timestamp, _>(cutoff)
        .execute(conn)?;
        let public = "EXISTS (SELECT 1 FROM support_groups g WHERE g.id = changes.entity_id AND g.status = 'published' AND g.deleted_at IS NULL) \
             OR EXISTS (SELECT 1 FROM events e WHERE e.id = changes.entity_id AND e.listing_status = 'published' AND e.deleted_at IS NULL) \
             OR EXISTS (SELECT 1 FROM resources r WHERE r.id = changes.entity_id AND r.status = 'published' AND r.deleted_at IS NULL)";
        let newest: Option<i64> = changes::table
            .filter(changes::changed_at.lt(cutoff))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                "NOT ({public})"
            )))
            .select(diesel::dsl::max(changes::seq))
            .first(conn)?;
        let tombstones = diesel::sql_query(format!(
            "DELETE FROM changes WHERE changed_at < {p} AND NOT ({public})"
        ))
        .bind::<diesel::sql_types::Timestamp, _>(cutoff)
        .execute(conn)?;
        let mut h = horizon(conn)?;
        if let Some(n) = newest {
            if n > h {
                h = n;
                diesel::update(change_horizon::table.find(1))
                    .set(change_horizon::min_seq.eq(h))
                    .execute(conn)?;
                // Entries kept below the horizon move after it, in order, so
                // every cursor the feed hands out from now on is at or past
                // the horizon (and a walk from the start never meets a 410).
                if let DbConnection::Pg(c) = conn {
                    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})"))
                        .execute(c)?;
                }
                diesel::sql_query(format!(
                    "INSERT INTO changes (entity_type, entity_id, organization_id, changed_at) \
                     SELECT entity_type, entity_id, organization_id, changed_at FROM changes WHERE seq < {h} ORDER BY seq"
                ))
                .execute(conn)?;
                diesel::sql_query(format!("DELETE FROM changes WHERE seq < {h}")).execute(conn)?;
            }
        }
        Ok((superseded + tombstones, h))
    })
}
