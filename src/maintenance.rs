//! Start-up and periodic upkeep of derived data: the search columns, next
//! meeting and meeting slots of groups whose next meeting has begun, and
//! back-fills of columns added by later migrations.
//!
//! No request writes for it: a task beside the server runs it every
//! [`INTERVAL`], and a `sort=next_meeting` search that finds stale groups
//! asks for a run and waits (at most
//! [`crate::state::Maintenance::WAIT`]) for one that began after it
//! asked. The task expands schedules before its short write transaction
//! (see [`crate::groups::queries::refresh_derived`]).

use std::time::Duration;

use actix_web::web;

use crate::db::{DbConnection, Pool};
use crate::error::ApiError;
use crate::state::AppState;

/// How often the task looks for stale groups by itself.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// What the task does on every run: groups whose next meeting has begun.
pub fn run_once(conn: &mut DbConnection) -> Result<usize, ApiError> {
    crate::groups::queries::refresh_all_derived(conn)
}

/// At start-up, on a fresh connection of `pool`: a run, and the derived data
/// of rows written before their columns existed (once: it reads every
/// listing's topics).
pub fn at_start(pool: &Pool) -> Result<usize, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    run_once(&mut conn)
        .and_then(|n| Ok(n + crate::search::backfill_topics(&mut conn)?))
        .map_err(|e| format!("cannot refresh search data: {e}"))
}

/// The task: runs until the server it was started with stops (it is polled
/// beside the server's future).
pub async fn task(state: web::Data<AppState>) {
    let m = &state.maintenance;
    loop {
        let _ = actix_web::rt::time::timeout(INTERVAL, m.wake.notified()).await;
        m.begun.send_modify(|n| *n += 1);
        match state.db(run_once).await {
            Ok(0) => {}
            Ok(n) => log::debug!("maintenance: refreshed {n} listings"),
            Err(e) => log::warn!("maintenance: {e}"),
        }
        m.finished.send_modify(|n| *n += 1);
    }
}
