//! Shared application state handed to every handler.

use actix_web::web;

use crate::auth::keys::JwtKeys;
use crate::config::Config;
use crate::db::{DbConnection, Health, Pool};
use crate::error::ApiError;
use tokio::sync::{watch, Notify};

pub struct AppState {
    pub pool: Pool,
    pub keys: JwtKeys,
    pub config: Config,
    pub maintenance: Maintenance,
    /// Whether the database answered lately.
    pub db_health: Health,
}

impl AppState {
    /// Run blocking database work on the blocking thread pool, never on the
    /// async workers.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        if !self.db_health.is_up() {
            return Err(ApiError::database_unavailable());
        }
        let pool = self.pool.clone();
        web::block(move || {
            let waited = std::time::Instant::now();
            let conn = pool.get();
            crate::metrics::metrics()
                .checkout
                .observe(waited.elapsed().as_secs_f64());
            let mut conn = conn?;
            f(&mut conn)
        })
        .await?
    }
}

/// The handshake between requests and the maintenance task
/// (`crate::maintenance`): a request asks for a run and may wait for one.
pub struct Maintenance {
    pub wake: Notify,
    /// Runs begun, runs finished.
    pub begun: watch::Sender<u64>,
    pub finished: watch::Sender<u64>,
}

impl Default for Maintenance {
    fn default() -> Self {
        Maintenance {
            wake: Notify::new(),
            begun: watch::channel(0).0,
            finished: watch::channel(0).0,
        }
    }
}

impl Maintenance {
    /// Longest a request waits for a run it asked for.
    pub const WAIT: std::time::Duration = std::time::Duration::from_secs(2);

    /// Ask for a run and wait until one that began after this call has
    /// finished, or [`Self::WAIT`] has passed.
    pub async fn refreshed(&self) {
        let asked_after = *self.begun.borrow();
        let mut finished = self.finished.subscribe();
        self.wake.notify_one();
        let _ =
            actix_web::rt::time::timeout(Self::WAIT, finished.wait_for(|n| *n > asked_after)).await;
    }
}
