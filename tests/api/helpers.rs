//! Minimal stand-in for the shared test harness (replaced at merge time):
//! spawn the real app on a random port with a fresh SQLite file, or a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set.

use circles::config::{Config, JwtConfig, Secret};
use diesel::{Connection, PgConnection, RunQueryDsl};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    database_url: String,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

/// A PostgreSQL database created for one test and dropped afterwards.
struct PgDatabase {
    server_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.server_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg) = match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.trim().is_empty() => {
            let name = format!("circles_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::establish(&server_url).expect("connect to PostgreSQL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .expect("create test database");
            let mut url = url::Url::parse(&server_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            (url.to_string(), Some(PgDatabase { server_url, name }))
        }
        _ => (
            dir.path().join("circles.db").to_string_lossy().into_owned(),
            None,
        ),
    };
    let config = Config {
        database_url: database_url.clone(),
        data_dir: dir.path().to_path_buf(),
        host: "127.0.0.1".into(),
        port: 0,
        workers: 2,
        db_pool_size: 4,
        jwt: JwtConfig {
            secret: Some(Secret::new(
                "test-secret-0123456789-abcdefghijklmnopqrstuvwxy",
            )),
            kid: Some("test".into()),
            previous_keys: Vec::new(),
            issuer: "circles".into(),
            audience: "circles-api".into(),
            token_ttl_seconds: 900,
        },
        cache_max_age: 60,
    };
    let app = circles::startup::Application::build(config).expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        database_url,
        _dir: dir,
        _pg: pg,
    }
}

impl TestApp {
    /// Create an organization and a client credential for it directly in the
    /// database; returns `(organization_id, client_id, client_secret)`.
    pub async fn create_org_with_client(
        &self,
        name: &str,
        admin: bool,
    ) -> (String, String, String) {
        let url = self.database_url.clone();
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || {
            let pool = circles::db::connect(&url, 1).expect("connect");
            let mut conn = pool.get().expect("connection");
            let write: circles::organizations::dto::OrganizationWrite =
                serde_json::from_value(serde_json::json!({"name": name, "kind": "nonprofit"}))
                    .unwrap();
            let org = circles::organizations::queries::create(&mut conn, &write).expect("org");
            let cred =
                circles::organizations::handlers::create_client_for(&mut conn, &org.id, admin)
                    .expect("client");
            (org.id, cred.client_id, cred.client_secret)
        })
        .await
        .unwrap()
    }

    /// An access token for a client credential.
    pub async fn token(&self, client_id: &str, client_secret: &str) -> String {
        let res = self
            .client
            .post(format!("{}/v1/auth/token", self.address))
            .json(&serde_json::json!({
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "token request failed");
        let body: serde_json::Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }
}
