//! Typed configuration read from the environment (and `.env`), passed
//! explicitly to the application. Every variable is documented in the README.

use std::fmt;
use std::path::PathBuf;

/// A secret value that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `postgres://…` for PostgreSQL; anything else is a SQLite file path.
    pub database_url: String,
    /// Where the SQLite database and a generated signing secret live.
    pub data_dir: PathBuf,
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub db_pool_size: u32,
    pub jwt: JwtConfig,
    /// `max-age` of `Cache-Control` on public reads, in seconds.
    pub cache_max_age: u32,
    /// How long public read answers are kept in memory (0: not at all);
    /// never longer than `cache_max_age`.
    pub response_cache_seconds: u32,
    /// Memory bound of that cache, in MiB.
    pub response_cache_mb: u32,
    /// The service's public base URL (`https://api.example.org`), for
    /// absolute links; without it, links are relative. Never taken from a
    /// request's `Host` or `X-Forwarded-Host`, which anyone can set and a
    /// cache would then serve to everyone.
    pub public_url: Option<String>,
    /// The longest a request body may take to arrive, in seconds; a body
    /// that stalls longer (or sends nothing for [`BODY_IDLE_SECONDS`]) is
    /// answered `408` and its connection closed.
    pub body_timeout_seconds: u64,
    /// Open connections at most, over all workers (0: as many as the
    /// open-file limit allows, less what the database and files need).
    pub max_connections: usize,
    /// Rate limits a minute (0: off; see `crate::ratelimit`): token
    /// requests by address and by client id, reads by address, writes by
    /// organization.
    pub rate_token_per_minute: u32,
    pub rate_reads_per_minute: u32,
    pub rate_writes_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client (exact addresses).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The longest a request body may pause between two pieces, in seconds.
pub const BODY_IDLE_SECONDS: u64 = 10;

/// `CIRCLES_BODY_TIMEOUT_SECONDS` when it is not set.
pub const DEFAULT_BODY_TIMEOUT_SECONDS: u64 = 30;

#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// HS256 signing secret; `None` means: generate one in the data directory.
    pub secret: Option<Secret>,
    /// Key id of the signing secret (`kid` header).
    pub kid: Option<String>,
    /// Further verification keys, accepted while keys rotate: `(kid, secret)`.
    pub previous_keys: Vec<(String, Secret)>,
    pub issuer: String,
    pub audience: String,
    pub token_ttl_seconds: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

/// Every `CIRCLES_*` variable the service reads (README: Configuration).
pub const SETTINGS: &[&str] = &[
    "CIRCLES_BODY_TIMEOUT_SECONDS",
    "CIRCLES_CACHE_MAX_AGE",
    "CIRCLES_DATA_DIR",
    "CIRCLES_DB_POOL_SIZE",
    "CIRCLES_HOST",
    "CIRCLES_JWT_AUDIENCE",
    "CIRCLES_JWT_ISSUER",
    "CIRCLES_JWT_KID",
    "CIRCLES_JWT_PREVIOUS_KEYS",
    "CIRCLES_JWT_SECRET",
    "CIRCLES_MAX_CONNECTIONS",
    "CIRCLES_PORT",
    "CIRCLES_PUBLIC_URL",
    "CIRCLES_RATE_READS_PER_MINUTE",
    "CIRCLES_RATE_TOKEN_PER_MINUTE",
    "CIRCLES_RATE_WRITES_PER_MINUTE",
    "CIRCLES_RESPONSE_CACHE_MB",
    "CIRCLES_RESPONSE_CACHE_SECONDS",
    "CIRCLES_TOKEN_TTL_SECONDS",
    "CIRCLES_TRUSTED_PROXIES",
    "CIRCLES_WORKERS",
];

/// `CIRCLES_*` names among `names` that the service does not read, each
/// with the setting it most likely meant (a misspelled variable is
/// otherwise silently ignored and its default used).
pub fn unknown_settings<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Vec<(String, Option<&'static str>)> {
    names
        .into_iter()
        .filter(|n| n.starts_with("CIRCLES_") && !SETTINGS.contains(n))
        .map(|n| {
            let closest = SETTINGS
                .iter()
                .map(|s| (strsim::jaro_winkler(n, s), *s))
                .filter(|(score, _)| *score > 0.9)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, s)| s);
            (n.to_owned(), closest)
        })
        .collect()
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            message: format!("`{v}`: {e}"),
        }),
    }
}

impl Config {
    /// Read the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        let data_dir = PathBuf::from(var("CIRCLES_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = var("DATABASE_URL")
            .unwrap_or_else(|| data_dir.join("circles.db").to_string_lossy().into_owned());
        let previous_keys = match var("CIRCLES_JWT_PREVIOUS_KEYS") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|pair| match pair.split_once(':') {
                    Some((kid, secret)) if !kid.is_empty() && secret.len() >= 32 => {
                        Ok((kid.to_owned(), Secret::new(secret)))
                    }
                    _ => Err(ConfigError {
                        name: "CIRCLES_JWT_PREVIOUS_KEYS",
                        message: "expected comma-separated `kid:secret` pairs, secrets of 32 characters or more"
                            .into(),
                    }),
                })
                .collect::<Result<_, _>>()?,
        };
        let secret = var("CIRCLES_JWT_SECRET").map(Secret::new);
        if let Some(s) = &secret {
            if s.expose().len() < 32 {
                return Err(ConfigError {
                    name: "CIRCLES_JWT_SECRET",
                    message: "must be at least 32 characters".into(),
                });
            }
        }
        let token_ttl_seconds = parsed("CIRCLES_TOKEN_TTL_SECONDS", 900i64)?;
        if !(60..=86_400).contains(&token_ttl_seconds) {
            return Err(ConfigError {
                name: "CIRCLES_TOKEN_TTL_SECONDS",
                message: "must be between 60 and 86400".into(),
            });
        }
        let default_workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Config {
            database_url,
            data_dir,
            host: var("CIRCLES_HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: parsed("CIRCLES_PORT", 8080u16)?,
            workers: parsed("CIRCLES_WORKERS", default_workers)?.max(1),
            db_pool_size: parsed("CIRCLES_DB_POOL_SIZE", 10u32)?.max(1),
            jwt: JwtConfig {
                secret,
                kid: var("CIRCLES_JWT_KID"),
                previous_keys,
                issuer: var("CIRCLES_JWT_ISSUER").unwrap_or_else(|| "circles".into()),
                audience: var("CIRCLES_JWT_AUDIENCE").unwrap_or_else(|| "circles-api".into()),
                token_ttl_seconds,
            },
            cache_max_age: parsed("CIRCLES_CACHE_MAX_AGE", 60u32)?,
            response_cache_seconds: parsed("CIRCLES_RESPONSE_CACHE_SECONDS", 5u32)?,
            response_cache_mb: parsed("CIRCLES_RESPONSE_CACHE_MB", 32u32)?,
            body_timeout_seconds: parsed(
                "CIRCLES_BODY_TIMEOUT_SECONDS",
                DEFAULT_BODY_TIMEOUT_SECONDS,
            )?
            .max(1),
            max_connections: parsed("CIRCLES_MAX_CONNECTIONS", 0usize)?,
            rate_token_per_minute: parsed("CIRCLES_RATE_TOKEN_PER_MINUTE", 10u32)?,
            rate_reads_per_minute: parsed("CIRCLES_RATE_READS_PER_MINUTE", 1200u32)?,
            rate_writes_per_minute: parsed("CIRCLES_RATE_WRITES_PER_MINUTE", 600u32)?,
            trusted_proxies: match var("CIRCLES_TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|a| {
                        a.parse().map_err(|e| ConfigError {
                            name: "CIRCLES_TRUSTED_PROXIES",
                            message: format!("`{a}`: {e} (comma-separated IP addresses)"),
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
            public_url: public_url(var("CIRCLES_PUBLIC_URL"))?,
        })
    }
}

/// A public base URL: `http` or `https`, a host, no query or fragment; the
/// trailing `/` dropped.
fn public_url(value: Option<String>) -> Result<Option<String>, ConfigError> {
    let Some(v) = value else { return Ok(None) };
    let bad = |m: &str| ConfigError {
        name: "CIRCLES_PUBLIC_URL",
        message: format!("`{v}`: {m}"),
    };
    let u = url::Url::parse(v.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(bad(
            "must be an http or https URL such as `https://api.example.org`",
        ));
    }
    if u.query().is_some() || u.fragment().is_some() || !u.username().is_empty() {
        return Err(bad("must have no query, fragment or credentials"));
    }
    Ok(Some(u.as_str().trim_end_matches('/').to_owned()))
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn public_urls() {
        let ok = |v: &str| public_url(Some(v.into())).unwrap();
        assert_eq!(
            ok("https://api.example.org/"),
            Some("https://api.example.org".into())
        );
        assert_eq!(
            ok("http://127.0.0.1:8080/circles"),
            Some("http://127.0.0.1:8080/circles".into())
        );
        for bad in [
            "ftp://x.org",
            "api.example.org",
            "https://x.org/?a=1",
            "https://u:p@x.org",
        ] {
            assert!(public_url(Some(bad.into())).is_err(), "{bad}");
        }
        assert_eq!(public_url(None).unwrap(), None);
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn misspelled_settings_are_named_with_what_they_likely_meant() {
        let found = unknown_settings([
            "CIRCLES_PORT",
            "CIRCLES_RESPONCE_CACHE_SECONDS",
            "CIRCLES_JWT_SECERT",
            "CIRCLES_SOMETHING_ELSE_ENTIRELY",
            "PATH",
        ]);
        assert_eq!(
            found,
            vec![
                (
                    "CIRCLES_RESPONCE_CACHE_SECONDS".to_owned(),
                    Some("CIRCLES_RESPONSE_CACHE_SECONDS")
                ),
                ("CIRCLES_JWT_SECERT".to_owned(), Some("CIRCLES_JWT_SECRET")),
                ("CIRCLES_SOMETHING_ELSE_ENTIRELY".to_owned(), None),
            ]
        );
    }

    #[test]
    fn every_setting_read_is_listed() {
        let source = [include_str!("config.rs"), include_str!("auth/keys.rs")];
        for text in source {
            for part in text
                .split("parsed(\"")
                .skip(1)
                .chain(text.split("var(\"").skip(1))
            {
                let name = part.split('"').next().unwrap_or_default();
                if name.starts_with("CIRCLES_") {
                    assert!(
                        SETTINGS.contains(&name),
                        "{name} is read but not in SETTINGS"
                    );
                }
            }
        }
    }
}
