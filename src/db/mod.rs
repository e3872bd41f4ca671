//! Database access: one connection type over SQLite and PostgreSQL, an r2d2
//! pool whose backend is chosen from the URL scheme, embedded migrations and
//! a write-transaction helper that never fails with `SQLITE_BUSY`.

pub mod schema;
pub mod sql;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use self::multi::*;

#[allow(missing_docs)]
mod multi {
    /// A connection to either backend; diesel dispatches every query on the variant.
    #[derive(diesel::MultiConnection)]
    pub enum DbConnection {
        Sqlite(diesel::SqliteConnection),
        Pg(diesel::PgConnection),
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Lock key for PostgreSQL advisory locks taken around migrations, so that
/// several instances starting together do not race.
const MIGRATION_LOCK_KEY: i64 = 0x0C12_C1E5;

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Which backend a `DATABASE_URL` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Choose the backend from the URL scheme; anything that is not a
    /// PostgreSQL URL is taken as a SQLite path (optionally `sqlite://`).
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Strip an optional `sqlite://` or `sqlite:` prefix to get the file path.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create the directory {0}: {1}")]
    Directory(PathBuf, std::io::Error),
    #[error("cannot open the database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migration(String),
}

/// r2d2 manager that establishes the variant named by the URL (diesel's own
/// `establish` would try SQLite for any string) and applies SQLite pragmas.
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Self {
        ConnectionManager {
            url: url.to_owned(),
            backend: Backend::from_url(url),
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbSetupError;

    fn connect(&self) -> Result<DbConnection, DbSetupError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.url)?;
                // Statements are prepared once per connection; a generic plan
                // chosen while a table was nearly empty (a fresh database, a
                // bulk load) would keep scanning it as it grows. Plan each
                // execution for its parameters instead.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan")?;
                Ok(DbConnection::Pg(conn))
            }
            Backend::Sqlite => {
                configure_sqlite_library();
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))?;
                // The busy timeout comes first: switching to WAL takes a lock,
                // and the pool opens several connections at once. WAL lets
                // readers run beside the single writer; the busy timeout makes
                // a second writer wait instead of failing.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )?;
                crate::geo::register_sqlite_functions(&mut conn)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbSetupError> {
        conn.batch_execute("SELECT 1").map_err(DbSetupError::Query)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Process-wide SQLite settings, applied once before the first connection
/// opens (later calls are refused by SQLite and change nothing):
/// - multi-thread mode: a pooled connection is only ever used by one thread
///   at a time, so SQLite needs no mutex around every call on it;
/// - no memory statistics, which take a global mutex on every allocation.
///
/// Together about 9 % of a list request's CPU time under load (`perf`).
fn configure_sqlite_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys::{sqlite3_config, SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD};
        // SAFETY: sqlite3_config is only called here, once, before any
        // connection exists; it fails harmlessly (SQLITE_MISUSE) if the
        // library was initialised already. The pool hands each connection
        // to one thread at a time, as multi-thread mode requires.
        let codes = unsafe {
            [
                sqlite3_config(SQLITE_CONFIG_MULTITHREAD),
                sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as std::os::raw::c_int),
            ]
        };
        log::debug!("sqlite3_config: {codes:?}");
    });
}

/// How long a request waits for a database connection before it answers
/// `503`: long enough for a burst to drain, short enough that a database
/// that went away is not a hang.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Build the pool, creating the SQLite file's directory when needed, and run
/// the pending migrations.
pub fn connect(url: &str, max_size: u32) -> Result<Pool, DbSetupError> {
    connect_with(url, max_size, Duration::from_secs(30))
}

/// [`connect`], waiting at most `checkout` for a connection from the pool
/// (the service's requests wait [`CHECKOUT_TIMEOUT`]).
pub fn connect_with(url: &str, max_size: u32, checkout: Duration) -> Result<Pool, DbSetupError> {
    let backend = Backend::from_url(url);
    if backend == Backend::Sqlite {
        let path = Path::new(sqlite_path(url));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbSetupError::Directory(dir.into(), e))?;
        }
    }
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(checkout)
        .build(ConnectionManager::new(url))?;
    let mut conn = pool.get()?;
    run_migrations(&mut conn)?;
    if backend == Backend::Sqlite {
        // Let the planner know the tables' sizes (a no-op when up to date).
        conn.batch_execute("PRAGMA optimize = 0x10002")?;
    }
    drop(conn);
    Ok(pool)
}

/// Apply every pending embedded migration; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, DbSetupError> {
    let migration_error =
        |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migration(e.to_string());
    match conn {
        DbConnection::Sqlite(c) => {
            // BEGIN IMMEDIATE is not needed: SQLite migrations run in their own
            // transaction and the busy timeout covers a concurrent start.
            let done = c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(migration_error)?;
            Ok(done.len())
        }
        DbConnection::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            result.map_err(migration_error)
        }
    }
}

/// Run `f` inside a write transaction. On SQLite the transaction starts with
/// `BEGIN IMMEDIATE`, so it takes the write lock up front and waits on the
/// busy timeout instead of failing with `SQLITE_BUSY` when it would have to
/// upgrade a read lock. Nested calls inside `f` may use `conn.transaction`.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // Inside another transaction this one is a savepoint: a bulk sync wraps
    // many writes in one transaction and rolls back single items.
    let nested = match conn {
        DbConnection::Sqlite(c) => <AnsiTransactionManager as TransactionManager<
            diesel::SqliteConnection,
        >>::transaction_manager_status_mut(c)
        .transaction_depth()?
        .is_some(),
        DbConnection::Pg(c) => <AnsiTransactionManager as TransactionManager<
            diesel::PgConnection,
        >>::transaction_manager_status_mut(c)
        .transaction_depth()?
        .is_some(),
    };
    match conn {
        DbConnection::Sqlite(c) if !nested => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction(c)?,
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let result = f(conn);
    let end = match (&result, &mut *conn) {
        (Ok(_), DbConnection::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConnection::Pg(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConnection::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConnection::Pg(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (result, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

/// Lock a row until the transaction ends: `FOR UPDATE` on PostgreSQL; on
/// SQLite, `BEGIN IMMEDIATE` already holds the database's write lock.
/// `table` is a trusted table name from the code, never input.
pub fn lock_row(conn: &mut DbConnection, table: &'static str, id: &str) -> QueryResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query(format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"))
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)?;
    }
    Ok(())
}

/// A value that may be written into SQL text as a quoted literal: ids,
/// vocabulary tokens and language tags only (ASCII letters, digits, `-`,
/// `_`, `.`, `:` and spaces). Anything else is refused, never escaped.
pub fn sql_token(s: &str) -> QueryResult<&str> {
    if !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.: ".contains(&b))
    {
        Ok(s)
    } else {
        Err(diesel::result::Error::QueryBuilderError(
            format!(
                "refused to inline a value that is not a plain token ({} bytes)",
                s.len()
            )
            .into(),
        ))
    }
}

/// One listing's rows in a join table: `(table, owner column, value column, values)`.
pub type JoinRows<'a> = (&'static str, &'static str, &'static str, Vec<&'a str>);

/// The statements that replace a listing's rows in several join tables.
/// The values are ids and vocabulary tokens (see [`sql_token`]). With
/// `fresh` (a new listing) there is nothing to delete first.
pub fn join_rows_sql(owner: &str, tables: &[JoinRows<'_>], fresh: bool) -> QueryResult<String> {
    let owner = sql_token(owner)?;
    let mut sql = String::new();
    for (table, owner_col, value_col, values) in tables {
        if !fresh {
            sql.push_str(&format!(
                "DELETE FROM {table} WHERE {owner_col} = '{owner}';"
            ));
        }
        if !values.is_empty() {
            let rows = values
                .iter()
                .map(|v| sql_token(v).map(|v| format!("('{owner}', '{v}')")))
                .collect::<QueryResult<Vec<_>>>()?;
            sql.push_str(&format!(
                "INSERT INTO {table} ({owner_col}, {value_col}) VALUES {};",
                rows.join(", ")
            ));
        }
    }
    Ok(sql)
}

/// Whether the database answers (used by `/readyz`).
/// Whether the database answered lately. While it does not, requests answer
/// `503` at once instead of each waiting for a connection
/// (`crate::health::watch` keeps it current).
#[derive(Debug, Default)]
pub struct Health {
    down: std::sync::atomic::AtomicBool,
}

impl Health {
    pub fn is_up(&self) -> bool {
        !self.down.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Record what a probe or a request found; true when that changed it.
    pub fn set_up(&self, up: bool) -> bool {
        self.down.swap(!up, std::sync::atomic::Ordering::Relaxed) == up
    }
}

/// The data version every instance shares on PostgreSQL (see
/// `crate::cache`); 0 on SQLite.
pub fn data_version(conn: &mut DbConnection) -> QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        last_value: i64,
    }
    match conn {
        DbConnection::Pg(c) => diesel::sql_query("SELECT last_value FROM circles_data_version")
            .get_result::<Version>(c)
            .map(|v| v.last_value),
        DbConnection::Sqlite(_) => Ok(0),
    }
}

/// Move the shared data version on, after a write has committed.
pub fn bump_data_version(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => c.batch_execute("SELECT nextval('circles_data_version')"),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}
