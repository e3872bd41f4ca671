//! Shared application state handed to every handler.

use actix_web::web;

use crate::auth::keys::JwtKeys;
use crate::config::Config;
use crate::db::{DbConnection, Pool};
use crate::error::ApiError;

pub struct AppState {
    pub pool: Pool,
    pub keys: JwtKeys,
    pub config: Config,
    pub cache: crate::cache::ResponseCache,
    pub maintenance: crate::maintenance::Maintenance,
}

impl AppState {
    /// Run blocking database work on the blocking thread pool, never on the
    /// async workers.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}
