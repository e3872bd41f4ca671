//! What a group's schedule derives, computed outside any write
//! transaction: the next meeting, the meeting slots the day and time filters
//! use, and their refresh once a meeting has begun (by the maintenance task).

use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::dto::*;
use super::queries::Group;
use super::row::{GroupColumns, GroupRow, NO_MEETING};
use crate::db::schema::support_groups;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::listing::store;

/// The stored `next_meeting_at`: the next meeting after `now`, or [`NO_MEETING`].
pub(super) fn next_meeting_key(w: &GroupWrite, now: chrono::DateTime<Utc>) -> NaiveDateTime {
    w.next_meeting(now)
        .map_or(NO_MEETING, |(utc, _)| utc.naive_utc())
}

/// When a group meets in its own time zone, over the coming year: distinct
/// (ISO weekday, start minute, end minute) of its meetings.
pub fn meeting_slots(w: &GroupWrite, now: chrono::DateTime<Utc>) -> Vec<(u32, u32, u32)> {
    use chrono::{Datelike, Timelike};
    let Some(s) = &w.schedule else { return vec![] };
    let Ok(tz) = s.timezone.parse::<chrono_tz::Tz>() else {
        return vec![];
    };
    let from = now.max(s.starts_at.and_utc() - chrono::Duration::days(1));
    let (occurrences, _) = w.occurrences(from, from + chrono::Duration::days(371), 400);
    let duration = u32::try_from(s.duration_minutes).unwrap_or(0);
    let mut slots: Vec<(u32, u32, u32)> = occurrences
        .iter()
        .map(|o| {
            let local = o.start.with_timezone(&tz);
            let start = local.hour() * 60 + local.minute();
            (
                local.weekday().number_from_monday(),
                start,
                start + duration,
            )
        })
        .collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// Statements that replace a group's meeting slots (ids and numbers only).
pub(super) fn slots_sql(id: &str, slots: &[(u32, u32, u32)]) -> QueryResult<String> {
    let id = crate::db::sql_token(id)?;
    let mut sql = format!("DELETE FROM group_meeting_slots WHERE group_id = '{id}';");
    if !slots.is_empty() {
        let values: Vec<String> = slots
            .iter()
            .map(|(d, s, e)| format!("('{id}', {d}, {s}, {e})"))
            .collect();
        sql.push_str(&format!(
            "INSERT INTO group_meeting_slots (group_id, weekday, start_minute, end_minute) VALUES {};",
            values.join(", ")
        ));
    }
    Ok(sql)
}

/// A validated group and what it derives (its columns, next meeting and
/// meeting slots). Deriving expands the schedule, so it happens once, on
/// demand, and the writers ask for it before their write transaction
/// ([`crate::listing::Listing::derive`]): never while the write lock is
/// held, and never for a synced group that turns out unchanged.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub write: GroupWrite,
    derived: std::sync::OnceLock<Derived>,
}

/// What a group's write derives.
#[derive(Debug, Clone)]
pub(super) struct Derived {
    pub(super) cols: GroupColumns,
    pub(super) slots: Vec<(u32, u32, u32)>,
}

impl Prepared {
    /// A validated group, its derived values not computed yet.
    pub fn new(write: GroupWrite) -> Result<Prepared, ApiError> {
        Ok(Prepared {
            write,
            derived: std::sync::OnceLock::new(),
        })
    }

    /// The derived values, computed on first use.
    pub(super) fn derived(&self) -> Result<&Derived, ApiError> {
        if let Some(d) = self.derived.get() {
            return Ok(d);
        }
        let d = Derived {
            cols: GroupColumns::from_write(&self.write)?,
            slots: meeting_slots(&self.write, Utc::now()),
        };
        Ok(self.derived.get_or_init(|| d))
    }
}

/// Whether some group's stored next meeting has begun, or was never
/// computed (rows from before the discovery migration): two probes of
/// `support_groups_stale_meeting`, no lock (an `OR` of the two would read
/// every group).
pub fn has_stale_derived(conn: &mut DbConnection) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    let passed: Option<String> = support_groups::table
        .filter(support_groups::next_meeting_at.le(now))
        .filter(support_groups::deleted_at.is_null())
        .select(support_groups::id)
        .first(conn)
        .optional()?;
    if passed.is_some() {
        return Ok(true);
    }
    let never: Option<String> = support_groups::table
        .filter(support_groups::next_meeting_at.is_null())
        .filter(support_groups::deleted_at.is_null())
        .select(support_groups::id)
        .first(conn)
        .optional()?;
    Ok(never.is_some())
}

/// Fill in the derived columns and meeting slots of up to `limit` groups
/// whose stored next meeting has begun (or that were never computed).
/// Returns how many were read. Nothing a client sees changes, so no version
/// or feed entry is written. The schedules are expanded before the write
/// transaction, which only writes, and skips a group edited meanwhile (its
/// edit derived its columns afresh).
pub fn refresh_derived(conn: &mut DbConnection, limit: i64) -> Result<usize, ApiError> {
    if !has_stale_derived(conn)? {
        return Ok(0);
    }
    let now = Utc::now();
    let rows: Vec<GroupRow> = support_groups::table
        .filter(
            support_groups::next_meeting_at
                .le(now.naive_utc())
                .or(support_groups::next_meeting_at.is_null()),
        )
        .filter(support_groups::deleted_at.is_null())
        .select(GroupRow::as_select())
        .limit(limit)
        .load(conn)?;
    let derived = rows
        .iter()
        .zip(store::writes::<Group>(conn, &rows)?)
        .map(|(r, w)| {
            let p = Prepared::new(w)?;
            p.derived()?;
            Ok((r, p))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    crate::db::write_transaction(conn, |conn| {
        for (r, p) in &derived {
            let cols = &p.derived()?.cols;
            let written = diesel::update(
                support_groups::table
                    .find(&r.id)
                    .filter(support_groups::version.eq(r.version)),
            )
            .set((
                support_groups::search_topics.eq(&cols.search_topics),
                support_groups::name_key.eq(&cols.name_key),
                support_groups::geo_lat.eq(cols.geo_lat),
                support_groups::geo_lon.eq(cols.geo_lon),
                support_groups::next_meeting_at.eq(cols.next_meeting_at),
            ))
            .execute(conn)?;
            if written == 1 {
                conn.batch_execute(&slots_sql(&r.id, &p.derived()?.slots)?)?;
            }
        }
        Ok::<_, ApiError>(())
    })?;
    Ok(rows.len())
}

/// Refresh every group that needs it (at start-up, and by the maintenance
/// task), in batches.
pub fn refresh_all_derived(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let n = refresh_derived(conn, 500)?;
        total += n;
        if n < 500 {
            return Ok(total);
        }
    }
}
