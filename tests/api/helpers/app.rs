//! The spawned service: its test configuration (the JWT key every test
//! signs with) and the `spawn_*` functions that start it on a fresh database.

use circles::config::{Config, JwtConfig, Secret};

use super::database::{Backend, PgDatabase};

/// The signing secret every test app uses (48 characters).
pub const JWT_SECRET: &str = "circles-test-secret-0123456789-abcdefghijklmnopq";
pub const JWT_KID: &str = "test-kid";
pub const JWT_ISSUER: &str = "circles";
pub const JWT_AUDIENCE: &str = "circles-api";

/// A running service and what the tests need to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub port: u16,
    pub database_url: String,
    pub backend: Backend,
    pub client: reqwest::Client,
    /// A pool on the same database, for bootstrapping through the library.
    pub pool: circles::db::Pool,
    // Dropped in this order: the pool, then the PostgreSQL database, then the
    // temporary directory.
    pg: Option<PgDatabase>,
    pub dir: tempfile::TempDir,
}

/// Spawn the app on the backend `TEST_DATABASE_URL` chooses.
pub async fn spawn_app() -> TestApp {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(server) => spawn_with(Some(server), |_| {}).await,
        None => spawn_with(None, |_| {}).await,
    }
}

/// Spawn the app on SQLite whatever `TEST_DATABASE_URL` says.
pub async fn spawn_sqlite_app() -> TestApp {
    spawn_with(None, |_| {}).await
}

/// Spawn the app with a changed configuration (on the usual backend).
pub async fn spawn_app_with(modify: impl FnOnce(&mut Config)) -> TestApp {
    let server = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty());
    spawn_with(server, modify).await
}

/// Start one more instance of the service on `config`; returns its address.
pub fn spawn_instance(config: Config) -> String {
    let app = circles::startup::Application::build(config).expect("the application builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    format!("http://127.0.0.1:{port}")
}

pub fn test_config(database_url: String, data_dir: std::path::PathBuf) -> Config {
    Config {
        database_url,
        data_dir,
        host: "127.0.0.1".into(),
        port: 0,
        workers: 2,
        db_pool_size: 8,
        jwt: JwtConfig {
            secret: Some(Secret::new(JWT_SECRET)),
            kid: Some(JWT_KID.into()),
            previous_keys: vec![],
            issuer: JWT_ISSUER.into(),
            audience: JWT_AUDIENCE.into(),
            token_ttl_seconds: 900,
        },
        cache_max_age: 60,
        // Off by default: several tests write through the CLI beside the
        // server; `cross_cutting::caching::public_reads_are_cached_until_a_write`
        // turns it on.
        response_cache_seconds: 0,
        response_cache_mb: 32,
        body_timeout_seconds: 2,
        max_connections: 0,
        // Off: the tests send hundreds of requests a second from one
        // address; `cross_cutting::rate_limits` turns them on.
        rate_token_per_minute: 0,
        rate_reads_per_minute: 0,
        rate_writes_per_minute: 0,
        trusted_proxies: vec![],
        public_url: None,
    }
}

async fn spawn_with(pg_server: Option<String>, modify: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (pg, database_url, backend) = match pg_server {
        Some(server) => {
            let db = PgDatabase::create(&server);
            let url = db.url();
            (Some(db), url, Backend::Postgres)
        }
        None => (
            None,
            dir.path().join("circles.db").to_string_lossy().into_owned(),
            Backend::Sqlite,
        ),
    };
    let mut config = test_config(database_url.clone(), dir.path().to_path_buf());
    modify(&mut config);
    let address = spawn_instance(config);
    let port: u16 = address.rsplit(':').next().unwrap().parse().unwrap();
    let pool = circles::db::connect(&database_url, 2).expect("a bootstrap pool");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("an HTTP client");
    TestApp {
        address,
        port,
        database_url,
        backend,
        client,
        pool,
        pg,
        dir,
    }
}
