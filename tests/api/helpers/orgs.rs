//! Organizations, API clients and tokens: bootstrapped through the library
//! (as the CLI does), tokens fetched over HTTP, and forged or unsigned JWTs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use circles::organizations::dto::OrganizationWrite;
use circles::vocab::OrganizationKind;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::app::{TestApp, JWT_AUDIENCE, JWT_ISSUER};
use super::requests::Reply;

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

impl TestApp {
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
