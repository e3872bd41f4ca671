//! Test databases: a fresh SQLite file or PostgreSQL database per test
//! (at most six PostgreSQL ones at a time), dropped with the test.

use std::sync::{Condvar, Mutex, OnceLock};

use diesel::{Connection, RunQueryDsl};

/// Which database a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A tiny blocking counting semaphore that limits how many PostgreSQL test
/// databases (each with a pool of connections) exist at once, so that a
/// machine with many cores does not exhaust `max_connections`.
struct Slots {
    free: Mutex<usize>,
    cond: Condvar,
}

fn pg_slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| Slots {
        free: Mutex::new(6),
        cond: Condvar::new(),
    })
}

struct SlotPermit;

impl SlotPermit {
    fn acquire() -> SlotPermit {
        let slots = pg_slots();
        let mut free = slots.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = slots.cond.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotPermit
    }
}

impl Drop for SlotPermit {
    fn drop(&mut self) {
        let slots = pg_slots();
        *slots.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        slots.cond.notify_one();
    }
}

/// A PostgreSQL database created for one test and dropped with it.
pub(super) struct PgDatabase {
    server_url: String,
    name: String,
    _permit: SlotPermit,
}

impl PgDatabase {
    pub(super) fn create(server_url: &str) -> PgDatabase {
        let permit = SlotPermit::acquire();
        let name = format!("circles_test_{}", uuid::Uuid::new_v4().simple());
        let mut last_error = None;
        // CREATE DATABASE may fail transiently while template1 is in use.
        for attempt in 0..20 {
            let result = diesel::PgConnection::establish(server_url)
                .map_err(|e| e.to_string())
                .and_then(|mut conn| {
                    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                        .execute(&mut conn)
                        .map_err(|e| e.to_string())
                });
            match result {
                Ok(_) => {
                    last_error = None;
                    break;
                }
                Err(e) => {
                    last_error = Some(e);
                    std::thread::sleep(std::time::Duration::from_millis(100 * (attempt + 1)));
                }
            }
        }
        if let Some(e) = last_error {
            panic!("cannot create the test database {name} on {server_url}: {e}");
        }
        PgDatabase {
            server_url: server_url.to_owned(),
            name,
            _permit: permit,
        }
    }

    /// URL of the new database: the server URL with its database replaced.
    pub(super) fn url(&self) -> String {
        let mut url = url::Url::parse(&self.server_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{}", self.name));
        url.to_string()
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        match diesel::PgConnection::establish(&self.server_url) {
            Ok(mut conn) => {
                if let Err(e) = diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn)
                {
                    eprintln!("cannot drop the test database {}: {e}", self.name);
                }
            }
            Err(e) => eprintln!(
                "cannot connect to drop the test database {}: {e}",
                self.name
            ),
        }
    }
}

/// A fresh database of the backend `TEST_DATABASE_URL` chooses, migrated,
/// with a small pool, and no app on it.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    pub pool: circles::db::Pool,
    pg: Option<PgDatabase>,
    pub dir: tempfile::TempDir,
}

pub fn test_database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let (pg, url, backend) = match server {
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
    let pool = circles::db::connect(&url, 2).expect("a bootstrap pool");
    TestDatabase {
        url,
        backend,
        pool,
        pg,
        dir,
    }
}
