//! JWT signing and verification keys (HS256), with several verification keys
//! at once so that keys rotate without downtime.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{Config, Secret};

/// File in the data directory holding a generated signing secret.
pub const GENERATED_SECRET_FILE: &str = "jwt-secret";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The client id.
    pub sub: String,
    /// The organization the token acts for.
    pub org: String,
    /// Space-separated scopes.
    pub scope: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

pub struct JwtKeys {
    kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
    pub ttl_seconds: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write the generated signing secret {0}: {1}")]
    Io(String, std::io::Error),
}

/// Key id derived from the secret, so the same secret keeps the same `kid`.
fn derived_kid(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    format!(
        "k-{}",
        digest[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Read the generated secret from the data directory, or create it (mode 0600).
fn load_or_generate_secret(data_dir: &Path) -> Result<Secret, KeyError> {
    let path = data_dir.join(GENERATED_SECRET_FILE);
    let io = |e| KeyError::Io(path.display().to_string(), e);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if existing.trim().len() >= 32 {
            return Ok(Secret::new(existing.trim()));
        }
    }
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(io)?;
    file.write_all(secret.as_bytes()).map_err(io)?;
    log::warn!(
        "CIRCLES_JWT_SECRET is not set: generated a signing secret in {} (mode 0600). \
         Set CIRCLES_JWT_SECRET when running several instances.",
        path.display()
    );
    Ok(Secret::new(secret))
}

/// Why a presented token was refused (sent in `WWW-Authenticate`).
pub type Refusal = &'static str;

impl JwtKeys {
    pub fn from_config(config: &Config) -> Result<JwtKeys, KeyError> {
        let secret = match &config.jwt.secret {
            Some(s) => s.clone(),
            None => load_or_generate_secret(&config.data_dir)?,
        };
        let kid = config
            .jwt
            .kid
            .clone()
            .unwrap_or_else(|| derived_kid(secret.expose()));
        let mut decoding = HashMap::new();
        for (k, s) in &config.jwt.previous_keys {
            decoding.insert(k.clone(), DecodingKey::from_secret(s.expose().as_bytes()));
        }
        decoding.insert(
            kid.clone(),
            DecodingKey::from_secret(secret.expose().as_bytes()),
        );
        Ok(JwtKeys {
            kid,
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding,
            issuer: config.jwt.issuer.clone(),
            audience: config.jwt.audience.clone(),
            ttl_seconds: config.jwt.token_ttl_seconds,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Sign an access token for a client of an organization.
    pub fn issue(&self, client_id: &str, organization_id: &str, scope: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: client_id.to_owned(),
            org: organization_id.to_owned(),
            scope: scope.to_owned(),
            exp: now + self.ttl_seconds,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// Check signature, algorithm, key id, expiry, not-before, issuer and
    /// audience, and that the token lives no longer than the tokens this
    /// service issues (a token signed with a leaked key cannot be made to
    /// last a year).
    pub fn verify(&self, token: &str) -> Result<Claims, Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "the token is malformed")?;
        if header.alg != Algorithm::HS256 {
            return Err("the token's algorithm is not accepted");
        }
        let kid = header.kid.ok_or("the token has no key id")?;
        let key = self
            .decoding
            .get(&kid)
            .ok_or("the token's key is unknown")?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)",
                ErrorKind::InvalidAudience => "the token is for another audience",
                ErrorKind::InvalidIssuer => "the token is from another issuer",
                ErrorKind::InvalidSignature => "the token's signature is invalid",
                _ => "the token is invalid",
            })?;
        if claims.exp - claims.iat > self.ttl_seconds {
            return Err("the token lives longer than the tokens this service issues");
        }
        if claims.iat > chrono::Utc::now().timestamp() + 30 {
            return Err("the token was issued in the future (`iat`)");
        }
        Ok(claims)
    }
}
