//! Rate limits, with `governor` (GCRA, keys in a concurrent map), in each
//! instance's memory:
//!
//! | policy | key | applies to |
//! |---|---|---|
//! | `token` | client address, and client id | `POST /v1/auth/token` (a wrong secret costs an argon2 hash) |
//! | `reads` | client address | every other request without a valid token, the health probes aside |
//! | `writes` | organization | requests with a valid token that are not `GET`/`HEAD` |
//!
//! Each instance counts on its own: behind a load balancer spreading over
//! `n` instances a client gets up to `n` times the quota. Sharing the count
//! through the database would cost a write per request, which is what the
//! limits protect; a strict global limit belongs in the load balancer.
//!
//! Answers carry `RateLimit-Policy` and `RateLimit` (IETF draft
//! `draft-ietf-httpapi-ratelimit-headers`); a refusal is `429` problem+json
//! with `Retry-After`. The client address is the socket's, unless the socket
//! is a configured trusted proxy (`CIRCLES_TRUSTED_PROXIES`): then the
//! right-most address of `X-Forwarded-For` that is not a trusted proxy.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::config::Config;
use crate::error::ApiError;

type Limiter<K> = RateLimiter<K, DashMapStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One policy: its name in the headers, its quota, and its counts by key.
struct Policy<K: Hash + Eq + Clone> {
    name: &'static str,
    per_minute: u32,
    limiter: Limiter<K>,
}

/// What a request was counted against, for the answer's headers.
#[derive(Debug, Clone)]
pub struct Counted {
    policy: &'static str,
    limit: u32,
    remaining: u32,
    /// Seconds until the quota is whole again (or, refused, until the next
    /// request is let through).
    reset: u64,
}

impl<K: Hash + Eq + Clone> Policy<K> {
    fn new(name: &'static str, per_minute: u32, burst: u32) -> Option<Policy<K>> {
        let per_minute = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new(burst.max(1))?;
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Some(Policy {
            name,
            per_minute: per_minute.get(),
            limiter: RateLimiter::dashmap(quota).with_middleware::<StateInformationMiddleware>(),
        })
    }

    fn check(&self, key: &K) -> Result<Counted, ApiError> {
        match self.limiter.check_key(key) {
            Ok(state) => {
                let quota = state.quota();
                let remaining = state.remaining_burst_capacity();
                let missing = quota.burst_size().get().saturating_sub(remaining);
                Ok(Counted {
                    policy: self.name,
                    limit: self.per_minute,
                    remaining,
                    reset: seconds(quota.replenish_interval() * missing),
                })
            }
            Err(not_until) => {
                crate::metrics::metrics()
                    .rate_limited
                    .with_label_values(&[self.name])
                    .inc();
                // The limiter's own clock: making a new one costs CPUID
                // instructions (a trip to the hypervisor in a VM), which
                // made each check cost ~25 µs.
                let now = self.limiter.clock().now();
                let wait = seconds(not_until.wait_time_from(now)).max(1);
                Err(ApiError::RateLimited {
                    detail: format!(
                        "too many requests ({} policy: {} a minute); retry in {wait} s",
                        self.name, self.per_minute
                    ),
                    retry_after: wait,
                    policy: self.name,
                    limit: self.per_minute,
                })
            }
        }
    }
}

fn seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Every policy of the service (a policy at 0 a minute is off).
pub struct RateLimits {
    token_by_address: Option<Policy<IpAddr>>,
    token_by_client: Option<Policy<String>>,
    reads: Option<Policy<IpAddr>>,
    writes: Option<Policy<String>>,
    trusted_proxies: Vec<IpAddr>,
}

impl RateLimits {
    pub fn from_config(c: &Config) -> Arc<RateLimits> {
        let token = c.rate_token_per_minute;
        Arc::new(RateLimits {
            token_by_address: Policy::new("token", token, token),
            token_by_client: Policy::new("token", token, token),
            // Bursts of ten seconds' worth: a page of results and its
            // follow-ups arrive together.
            reads: Policy::new(
                "reads",
                c.rate_reads_per_minute,
                c.rate_reads_per_minute / 6,
            ),
            writes: Policy::new(
                "writes",
                c.rate_writes_per_minute,
                c.rate_writes_per_minute / 6,
            ),
            trusted_proxies: c.trusted_proxies.clone(),
        })
    }

    /// Count a token request for `client_id` (the handler calls this once it
    /// knows the client id, before checking the secret).
    pub fn check_token_client(&self, req: &HttpRequest, client_id: &str) -> Result<(), ApiError> {
        self.count(req, self.token_by_client.as_ref(), &client_id.to_owned())
    }

    /// Count a write by organization `org` (the bearer extractor calls this
    /// once the token is verified).
    pub fn check_write(&self, req: &HttpRequest, org: &str) -> Result<(), ApiError> {
        self.count(req, self.writes.as_ref(), &org.to_owned())
    }

    fn count<K: Hash + Eq + Clone>(
        &self,
        req: &HttpRequest,
        policy: Option<&Policy<K>>,
        key: &K,
    ) -> Result<(), ApiError> {
        let Some(policy) = policy else {
            return Ok(());
        };
        let counted = policy.check(key)?;
        // The tightest count wins the headers.
        let mut ext = req.extensions_mut();
        if ext
            .get::<Counted>()
            .is_none_or(|c| counted.remaining < c.remaining)
        {
            ext.insert(counted);
        }
        Ok(())
    }

    /// Forget keys whose quota is whole again (called periodically).
    pub fn housekeeping(&self) {
        fn tidy<K: Hash + Eq + Clone>(p: &Option<Policy<K>>) {
            if let Some(p) = p {
                p.limiter.retain_recent();
                p.limiter.shrink_to_fit();
            }
        }
        tidy(&self.token_by_address);
        tidy(&self.token_by_client);
        tidy(&self.reads);
        tidy(&self.writes);
    }

    /// The client's address: the socket's, or what a trusted proxy says.
    fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|a| !self.trusted_proxies.contains(a))
                .unwrap_or(peer),
        )
    }
}

/// The middleware: counts requests by address, and adds the headers of
/// whatever the request was counted against (here or in a handler).
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limits = req.app_data::<web::Data<RateLimits>>().cloned();
    let Some(limits) = limits else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let path = req.path();
    let exempt = matches!(path, "/healthz" | "/readyz");
    let token_request = path == "/v1/auth/token";
    // Writes with a valid token are counted by organization, once verified;
    // anything else by address.
    let bearer_write = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS")
        && req.headers().contains_key("authorization")
        && !token_request;
    if !exempt && !bearer_write {
        let policy = if token_request {
            limits.token_by_address.as_ref()
        } else {
            limits.reads.as_ref()
        };
        if let Some(address) = limits.client_address(req.request()) {
            if let Err(e) = limits.count(req.request(), policy, &address) {
                let (http, _) = req.into_parts();
                let res = e.error_response();
                return Ok(ServiceResponse::new(http, res).map_into_right_body());
            }
        }
    }
    let mut res = next.call(req).await?;
    let counted = res.request().extensions().get::<Counted>().cloned();
    if let Some(c) = counted {
        let headers = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&format!("\"{}\";q={};w=60", c.policy, c.limit)) {
            headers.insert(HeaderName::from_static("ratelimit-policy"), v);
        }
        if let Ok(v) =
            HeaderValue::from_str(&format!("\"{}\";r={};t={}", c.policy, c.remaining, c.reset))
        {
            headers.insert(HeaderName::from_static("ratelimit"), v);
        }
    }
    Ok(res.map_into_left_body())
}
