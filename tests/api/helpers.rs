//! Test harness: spawn the service on a random port over a fresh database
//! (PostgreSQL when `TEST_DATABASE_URL` is set, SQLite otherwise), bootstrap
//! organizations and API clients through the library, get tokens over HTTP,
//! forge JWTs and build request bodies.

#![allow(dead_code)]

use std::sync::{Condvar, Mutex, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use circles::config::{Config, JwtConfig, Secret};
use circles::organizations::dto::OrganizationWrite;
use circles::vocab::OrganizationKind;
use diesel::{Connection, RunQueryDsl};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The signing secret every test app uses (48 characters).
pub const JWT_SECRET: &str = "circles-test-secret-0123456789-abcdefghijklmnopq";
pub const JWT_KID: &str = "test-kid";
pub const JWT_ISSUER: &str = "circles";
pub const JWT_AUDIENCE: &str = "circles-api";

/// Strings that must never appear in a response body.
pub const LEAKS: &[&str] = &["SELECT", "diesel", "/work/", "panicked"];

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
struct PgDatabase {
    server_url: String,
    name: String,
    _permit: SlotPermit,
}

impl PgDatabase {
    fn create(server_url: &str) -> PgDatabase {
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
    fn url(&self) -> String {
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

/// Credentials of an API client created through the library.
#[derive(Debug, Clone)]
pub struct ClientCreds {
    pub client_id: String,
    pub client_secret: String,
    pub organization_id: String,
}

/// An organization with one client and a token for it.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    pub slug: String,
    pub client: ClientCreds,
    pub token: String,
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
        // server; `discovery::public_reads_are_cached_until_a_write` turns it on.
        response_cache_seconds: 0,
        response_cache_mb: 32,
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

/// A response read whole: status, headers and body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub async fn from(res: reqwest::Response) -> Reply {
        let reply = Reply::unchecked(res).await;
        reply.assert_no_leaks();
        reply
    }

    /// Read a response without checking it for leaks (static assets).
    pub async fn unchecked(res: reqwest::Response) -> Reply {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("a readable body");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// Internal details never reach a client.
    pub fn assert_no_leaks(&self) {
        let (status, text) = (self.status, &self.text);
        for leak in LEAKS {
            assert!(
                !text.contains(leak),
                "the response ({status}) leaks `{leak}`: {text}"
            );
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header").to_owned())
    }

    /// Assert the status and return the JSON body.
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        if self.text.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Assert a problem document with this status and `code`, and return it.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/problem+json"),
            "content type of a {status} is `{ct}`, not application/problem+json: {}",
            self.text
        );
        assert_eq!(body["status"], status, "problem status member: {body}");
        assert_eq!(body["code"], code, "problem code: {body}");
        assert!(body["type"].is_string(), "problem type: {body}");
        assert!(body["title"].is_string(), "problem title: {body}");
        assert!(body["detail"].is_string(), "problem detail: {body}");
        body
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Send a request with an optional token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        Reply::from(req.send().await.expect("the request is sent")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// PATCH with `application/merge-patch+json`.
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        let res = self
            .client
            .patch(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
            .await
            .expect("the request is sent");
        Reply::from(res).await
    }

    /// Create an organization through the library (as the CLI does).
    pub fn create_org(&self, name: &str, kind: OrganizationKind) -> (String, String) {
        create_org_in(&self.pool, name, kind)
    }

    /// Create an API client through the library (as the CLI does).
    pub fn create_client(&self, org: &str, admin: bool) -> ClientCreds {
        create_client_in(&self.pool, org, admin)
    }

    /// Create an organization with one client: `(org id, client id, secret)`.
    pub async fn create_org_with_client(
        &self,
        name: &str,
        admin: bool,
    ) -> (String, String, String) {
        let (id, _) = self.create_org(name, OrganizationKind::Nonprofit);
        let c = self.create_client(&id, admin);
        (id, c.client_id, c.client_secret)
    }

    /// Exchange client credentials for a token (form-encoded).
    pub async fn token(&self, client_id: &str, secret: &str) -> String {
        token_from(&self.client, &self.address, client_id, secret).await
    }

    /// An organization with an ordinary client and its token.
    pub async fn org(&self, name: &str) -> Org {
        self.org_with(name, false).await
    }

    /// An organization with an administrator client and its token.
    pub async fn admin(&self) -> Org {
        self.org_with("Circles Administrators", true).await
    }

    async fn org_with(&self, name: &str, admin: bool) -> Org {
        let (id, slug) = self.create_org(name, OrganizationKind::PeerLed);
        let client = self.create_client(&id, admin);
        let token = self.token(&client.client_id, &client.client_secret).await;
        Org {
            id,
            slug,
            client,
            token,
        }
    }

    /// Create a group and return its JSON (asserting 201).
    pub async fn create_group(&self, token: &str, body: &Value) -> Value {
        self.post("/v1/groups", token, body).await.expect(201)
    }

    /// Create a published group with overrides and return its id.
    pub async fn published_group(&self, token: &str, overrides: Value) -> String {
        let mut body = group_body(overrides);
        body["status"] = json!("published");
        let g = self.create_group(token, &body).await;
        g["id"].as_str().expect("a group id").to_owned()
    }

    /// Every group of the public list for a query, walking all pages.
    pub async fn list_all(&self, query: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if query.is_empty() { "" } else { "&" };
            let path = match &cursor {
                None => format!("/v1/groups?{query}{sep}limit=100"),
                Some(c) => format!("/v1/groups?{query}{sep}limit=100&cursor={c}"),
            };
            let page = self.get(&path).await.expect(200);
            out.extend(page["data"].as_array().expect("data").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return out,
            }
        }
    }

    /// Ids of every group of the public list for a query.
    pub async fn list_ids(&self, query: &str) -> Vec<String> {
        self.list_all(query)
            .await
            .iter()
            .map(|g| g["id"].as_str().expect("id").to_owned())
            .collect()
    }
}

/// Create an organization through the library on any database.
pub fn create_org_in(
    pool: &circles::db::Pool,
    name: &str,
    kind: OrganizationKind,
) -> (String, String) {
    let mut conn = pool.get().expect("a bootstrap connection");
    let write = OrganizationWrite {
        name: name.into(),
        slug: None,
        kind,
        description: None,
        website: None,
        social_links: vec![],
        contact: None,
        area_served: None,
        verified: Some(false),
    };
    let row = circles::organizations::queries::create(&mut conn, &write)
        .expect("the organization is created");
    (row.id, row.slug)
}

/// Create an API client through the library on any database.
pub fn create_client_in(pool: &circles::db::Pool, org: &str, admin: bool) -> ClientCreds {
    let mut conn = pool.get().expect("a bootstrap connection");
    let c = circles::organizations::handlers::create_client_for(&mut conn, org, admin)
        .expect("the client is created");
    ClientCreds {
        client_id: c.client_id,
        client_secret: c.client_secret,
        organization_id: c.organization_id,
    }
}

/// Exchange client credentials for a token at `base` (any instance).
pub async fn token_from(
    client: &reqwest::Client,
    base: &str,
    client_id: &str,
    secret: &str,
) -> String {
    let res = client
        .post(format!("{base}/v1/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .expect("the token request is sent");
    let reply = Reply::from(res).await;
    let body = reply.expect(200);
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// A valid online group body, with `overrides` merged in (RFC 7396 merge:
/// `null` removes a member).
pub fn group_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Thursday anxiety circle",
        "summary": "Talk about worry with people who get it.",
        "topics": ["anxiety"],
        "format": "online",
        "facilitation": "peer_led",
        "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TH", "starts_at": "2026-01-08T19:00:00",
                     "timezone": "Europe/London", "duration_minutes": 60},
        "recovery_stages": ["awareness"],
        "support_types": ["emotional"],
        "languages": ["en"],
        "online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/circles-anxiety-thursday"}
    });
    merge(&mut body, &overrides);
    body
}

/// A valid in-person group body with a full address, with `overrides`.
pub fn in_person_body(overrides: Value) -> Value {
    let mut body = group_body(json!({
        "name": "Monday grief circle",
        "topics": ["grief"],
        "format": "in_person",
        "online": null,
        "location": {"visibility": "area_only", "name": "St Anne's community hall",
                     "street_address": "12 Cedar Road", "locality": "London",
                     "region": "Greater London", "postal_code": "N1 7AA", "country": "GB",
                     "latitude": 51.5362, "longitude": -0.1034}
    }));
    merge(&mut body, &overrides);
    body
}

/// The `name` of every item of a page (`data`), in order.
pub fn names(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

/// RFC 7396 merge of `patch` into `doc`.
pub fn merge(doc: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !doc.is_object() {
                *doc = json!({});
            }
            let d = doc.as_object_mut().expect("an object");
            for (k, v) in p {
                if v.is_null() {
                    d.remove(k);
                } else {
                    merge(d.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *doc = other.clone(),
    }
}

/// Claims of a forged token: those the service issues, all overridable.
pub fn claims(org: &Org) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "sub": org.client.client_id,
        "org": org.id,
        "scope": "listings:write organization:write",
        "exp": now + 600,
        "iat": now,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// Sign `claims` with HS256 under `kid` and `secret`.
pub fn forge(claims: &Value, kid: Option<&str>, secret: &str) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("the token signs")
}

/// An unsigned token: header `{"alg":"none"}`, the claims, empty signature.
pub fn unsigned_token(claims: &Value, header: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Assert a 401 problem with a `WWW-Authenticate: Bearer …` challenge.
pub fn assert_unauthorized(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{what}: expected 401, body {}",
        reply.text
    );
    reply.problem(401, "unauthorized");
    let challenge = reply
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("{what}: no WWW-Authenticate header"));
    assert!(
        challenge.starts_with("Bearer"),
        "{what}: WWW-Authenticate is `{challenge}`"
    );
}

/// The first field error of a problem, with its `allowed` values.
pub fn first_error(problem: &Value) -> (String, Option<Vec<String>>) {
    let e = &problem["errors"][0];
    let field = e["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no errors[0].field in {problem}"))
        .to_owned();
    let allowed = e["allowed"].as_array().map(|a| {
        a.iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect()
    });
    (field, allowed)
}

/// Whether any field error of a problem names `field`.
pub fn names_field(problem: &Value, field: &str) -> bool {
    problem["errors"]
        .as_array()
        .is_some_and(|errs| errs.iter().any(|e| e["field"] == field))
}

/// Whether `key` is missing or `null` in the object `v`.
pub fn absent(v: &Value, key: &str) -> bool {
    v.get(key).is_none_or(Value::is_null)
}

/// A valid online event body (a one-off in 2027, London time), with
/// `overrides` merged in (RFC 7396: `null` removes a member).
pub fn event_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Open day: meet the peer supporters",
        "summary": "Drop in, have a cup of tea, ask anything.",
        "topics": ["general"],
        "starts_at": "2027-01-16T11:00:00",
        "ends_at": "2027-01-16T15:00:00",
        "timezone": "Europe/London",
        "format": "online",
        "online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/circles-open-day"}
    });
    merge(&mut body, &overrides);
    body
}

impl TestApp {
    /// Create an event and return its JSON (asserting 201).
    pub async fn create_event(&self, token: &str, body: &Value) -> Value {
        self.post("/v1/events", token, body).await.expect(201)
    }

    /// Create a published event from `event_body(overrides)`; returns its JSON.
    pub async fn published_event(&self, token: &str, overrides: Value) -> Value {
        let mut body = event_body(overrides);
        body["listing_status"] = json!("published");
        self.create_event(token, &body).await
    }

    /// Every item of a paged list (events or occurrences) at `path` (which
    /// already has a query string), walking `next_cursor` with page size
    /// `limit`.
    pub async fn walk(&self, path: &str, limit: u32) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let url = match &cursor {
                None => format!("{path}&limit={limit}"),
                Some(c) => format!("{path}&limit={limit}&cursor={c}"),
            };
            let page = self.get(&url).await.expect(200);
            let data = page["data"].as_array().expect("data").clone();
            assert!(data.len() <= limit as usize, "page larger than {limit}");
            out.extend(data);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return out,
            }
        }
        panic!("{path}: pages never end");
    }

    /// Every occurrence of the public events in `[from, to)` with `filters`
    /// (e.g. `organization=…`), walking pages of 100.
    pub async fn occurrences(&self, from: &str, to: &str, filters: &str) -> Vec<Value> {
        let sep = if filters.is_empty() { "" } else { "&" };
        self.walk(
            &format!("/v1/events?from={from}&to={to}{sep}{filters}"),
            100,
        )
        .await
    }
}

/// A valid resource body (a published-ready guide), with `overrides`.
pub fn resource_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Understanding low mood",
        "url": "https://example.org/guides/low-mood",
        "kind": "guide",
        "summary": "A short, kind guide to what low mood is and what helps.",
        "topics": ["depression"],
        "languages": ["en"],
        "crisis": false
    });
    merge(&mut body, &overrides);
    body
}

/// A small deterministic PRNG (SplitMix64): the same seed gives the same
/// sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Send a request with extra headers to `base` (any running instance).
pub async fn send_to(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = client.request(method.clone(), format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        let ct = if method == Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        req = req.header("content-type", ct).body(b.to_string());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Reply::from(req.send().await.expect("the request is sent")).await
}

impl TestApp {
    /// Send a request with extra headers (PATCH bodies as merge patches).
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        send_to(
            &self.client,
            &self.address,
            method,
            path,
            token,
            body,
            headers,
        )
        .await
    }

    /// A change-feed client on this app.
    pub fn mirror(&self) -> Mirror {
        Mirror::new(self.client.clone(), &self.address)
    }

    /// The public directory: every listing of the three public lists.
    pub async fn directory(&self) -> Directory {
        directory(&self.client, &self.address).await
    }

    /// Every entry of the change feed after `after` (from the start when
    /// `None`), in pages of `limit`; returns the entries and the cursor to
    /// resume from.
    pub async fn feed_since(&self, after: Option<&str>, limit: u32) -> (Vec<Value>, String) {
        let mut m = self.mirror();
        m.cursor = after.map(str::to_owned);
        m.limit = limit;
        let entries = m.drain().await;
        (entries, m.cursor.expect("a cursor after draining"))
    }

    /// The cursor at the end of the change feed now.
    pub async fn feed_end(&self) -> String {
        self.feed_since(None, 100).await.1
    }
}

/// Listings keyed by `(type, id)`, as the public sees them.
pub type Directory = std::collections::BTreeMap<(String, String), Value>;

/// Every public group, event and resource, walking the list endpoints with
/// their cursors.
pub async fn directory(client: &reqwest::Client, base: &str) -> Directory {
    let mut out = Directory::new();
    for (kind, path) in [
        ("group", "/v1/groups"),
        ("event", "/v1/events"),
        ("resource", "/v1/resources"),
    ] {
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let url = match &cursor {
                None => format!("{path}?limit=100"),
                Some(c) => format!("{path}?limit=100&cursor={c}"),
            };
            let page = send_to(client, base, Method::GET, &url, None, None, &[])
                .await
                .expect(200);
            for item in page["data"].as_array().expect("data") {
                let id = item["id"].as_str().expect("an id").to_owned();
                let previous = out.insert((kind.to_owned(), id.clone()), item.clone());
                assert!(previous.is_none(), "{path} lists {id} twice");
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
    }
    out
}

/// A client that follows only `GET /v1/changes` and applies what it reads.
pub struct Mirror {
    client: reqwest::Client,
    base: String,
    /// The last `next_cursor` (`None`: from the start).
    pub cursor: Option<String>,
    /// Page size.
    pub limit: u32,
    /// The `type` filter, if any (e.g. `group,event`).
    pub types: Option<String>,
    pub listings: Directory,
    /// Entries read so far.
    pub seen: usize,
}

impl Mirror {
    pub fn new(client: reqwest::Client, base: &str) -> Mirror {
        Mirror {
            client,
            base: base.to_owned(),
            cursor: None,
            limit: 100,
            types: None,
            listings: Directory::new(),
            seen: 0,
        }
    }

    /// Read one page, apply it; returns its entries and `has_more`.
    pub async fn poll(&mut self) -> (Vec<Value>, bool) {
        let mut path = format!("/v1/changes?limit={}", self.limit);
        if let Some(c) = &self.cursor {
            path.push_str(&format!("&after={c}"));
        }
        if let Some(t) = &self.types {
            path.push_str(&format!("&type={t}"));
        }
        let page = send_to(
            &self.client,
            &self.base,
            Method::GET,
            &path,
            None,
            None,
            &[],
        )
        .await
        .expect(200);
        let entries = page["data"].as_array().expect("data").clone();
        assert!(entries.len() <= self.limit as usize, "page over the limit");
        for e in &entries {
            self.apply(e);
        }
        self.seen += entries.len();
        let next = page["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("no next_cursor in {page}"));
        if let Some(last) = entries.last() {
            assert_eq!(
                last["cursor"], next,
                "next_cursor is the last entry's cursor"
            );
        }
        self.cursor = Some(next.to_owned());
        (entries, page["has_more"].as_bool().expect("has_more"))
    }

    /// Read until the feed has nothing more; returns what was read.
    pub async fn drain(&mut self) -> Vec<Value> {
        let mut all = Vec::new();
        for _ in 0..100_000 {
            let (entries, more) = self.poll().await;
            let empty = entries.is_empty();
            all.extend(entries);
            if !more || empty {
                return all;
            }
        }
        panic!("the change feed never ends");
    }

    pub fn apply(&mut self, e: &Value) {
        let kind = e["type"].as_str().expect("type").to_owned();
        let id = e["id"].as_str().expect("id").to_owned();
        assert!(e["cursor"].is_string(), "an entry without cursor: {e}");
        assert!(
            e["changed_at"].is_string(),
            "an entry without changed_at: {e}"
        );
        match e["action"].as_str() {
            Some("upsert") => {
                assert_eq!(e["data"]["id"], e["id"], "upsert data is the listing: {e}");
                self.listings.insert((kind, id), e["data"].clone());
            }
            Some("delete") => {
                assert!(e["data"].is_null(), "a tombstone carries no data: {e}");
                self.listings.remove(&(kind, id));
            }
            other => panic!("unknown action {other:?} in {e}"),
        }
    }
}

/// Assert that two directories hold the same listings, field for field.
pub fn assert_same_directory(what: &str, mirror: &Directory, directory: &Directory) {
    let mut problems = Vec::new();
    for (key, listed) in directory {
        match mirror.get(key) {
            None => problems.push(format!("{key:?} is listed but missing from the mirror")),
            Some(m) if m != listed => {
                let mut fields = Vec::new();
                if let (Some(a), Some(b)) = (m.as_object(), listed.as_object()) {
                    for k in a.keys().chain(b.keys()) {
                        if a.get(k) != b.get(k) && !fields.contains(k) {
                            fields.push(k.clone());
                        }
                    }
                }
                problems.push(format!(
                    "{key:?} differs in {fields:?}: mirror {} / list {}",
                    fields
                        .iter()
                        .map(|f| format!("{f}={}", m[f]))
                        .collect::<Vec<_>>()
                        .join(", "),
                    fields
                        .iter()
                        .map(|f| format!("{f}={}", listed[f]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    for key in mirror.keys() {
        if !directory.contains_key(key) {
            problems.push(format!("{key:?} is in the mirror but not listed"));
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(15);
        panic!(
            "{what}: the mirror ({} listings) differs from the directory ({} listings) in {n} places:\n{}",
            mirror.len(),
            directory.len(),
            problems.join("\n")
        );
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
