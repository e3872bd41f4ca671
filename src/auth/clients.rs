//! API client credentials: creation (secret shown once, stored as an Argon2
//! hash), verification, revocation.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;

use crate::db::schema::api_clients;
use crate::db::DbConnection;

/// Scopes every client gets.
pub const BASE_SCOPES: &[&str] = &["listings:write", "organization:write"];
/// Scope of administrators: manage organizations and clients.
pub const ADMIN_SCOPE: &str = "admin";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_clients)]
pub struct ApiClient {
    pub id: String,
    pub organization_id: String,
    pub secret_hash: String,
    pub is_admin: bool,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiClient {
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut s = BASE_SCOPES.to_vec();
        if self.is_admin {
            s.push(ADMIN_SCOPE);
        }
        s
    }
}

/// A newly generated credential; the secret exists in clear only here.
pub struct NewCredential {
    pub client_id: String,
    pub client_secret: String,
    pub secret_hash: String,
}

/// Generate a client id and secret and hash the secret (slow: call off the
/// async workers).
pub fn generate_credential() -> NewCredential {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let client_secret = URL_SAFE_NO_PAD.encode(bytes);
    let salt = SaltString::generate(&mut OsRng);
    let secret_hash = Argon2::default()
        .hash_password(client_secret.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string();
    NewCredential {
        client_id: format!("cl_{}", uuid::Uuid::now_v7().simple()),
        client_secret,
        secret_hash,
    }
}

/// A hash to verify against when the client id is unknown, so that unknown
/// and known ids take the same time.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"circles-dummy", &salt)
            .expect("hash")
            .to_string()
    })
}

pub fn verify_secret(hash: Option<&str>, secret: &str) -> bool {
    let hash = hash.unwrap_or_else(|| dummy_hash());
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub fn insert(
    conn: &mut DbConnection,
    organization_id: &str,
    cred: &NewCredential,
    is_admin: bool,
) -> QueryResult<ApiClient> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(api_clients::table)
        .values((
            api_clients::id.eq(&cred.client_id),
            api_clients::organization_id.eq(organization_id),
            api_clients::secret_hash.eq(&cred.secret_hash),
            api_clients::is_admin.eq(is_admin),
            api_clients::created_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, &cred.client_id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find(conn: &mut DbConnection, client_id: &str) -> QueryResult<Option<ApiClient>> {
    // No client id contains NUL (and PostgreSQL refuses it in a parameter).
    if client_id.contains('\0') {
        return Ok(None);
    }
    api_clients::table
        .find(client_id)
        .select(ApiClient::as_select())
        .first(conn)
        .optional()
}

pub fn list_for_organization(
    conn: &mut DbConnection,
    organization_id: &str,
) -> QueryResult<Vec<ApiClient>> {
    api_clients::table
        .filter(api_clients::organization_id.eq(organization_id))
        .order(api_clients::id.asc())
        .select(ApiClient::as_select())
        .load(conn)
}

/// Whether the client exists, belongs to the organization and is not revoked.
pub fn is_active(
    conn: &mut DbConnection,
    client_id: &str,
    organization_id: &str,
) -> QueryResult<bool> {
    let n: i64 = api_clients::table
        .filter(api_clients::id.eq(client_id))
        .filter(api_clients::organization_id.eq(organization_id))
        .filter(api_clients::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n == 1)
}

/// Revoke a client; `false` when there is no such client.
pub fn revoke(conn: &mut DbConnection, client_id: &str) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    if find(conn, client_id)?.is_none() {
        return Ok(false);
    }
    diesel::update(
        api_clients::table
            .filter(api_clients::id.eq(client_id))
            .filter(api_clients::revoked_at.is_null()),
    )
    .set(api_clients::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(true)
}
