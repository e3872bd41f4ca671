//! Authentication: client credentials exchanged for short-lived JWTs, and the
//! extractors that check them on every write.

pub mod clients;
pub mod handlers;
pub mod keys;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::error::ApiError;
use crate::ratelimit::RateLimits;
use crate::state::AppState;

pub use handlers::configure;

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: String,
    pub organization_id: String,
    pub scopes: Vec<String>,
}

impl Caller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    pub fn is_admin(&self) -> bool {
        self.has_scope(clients::ADMIN_SCOPE)
    }

    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this action needs the `{scope}` scope"
            )))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require_scope(clients::ADMIN_SCOPE)
    }
}

/// A verified bearer token whose client is still active; 401 otherwise.
pub struct Authenticated(pub Caller);

/// A verified bearer token if one was sent (an invalid one is still a 401).
pub struct MaybeAuthenticated(pub Option<Caller>);

/// The `Authorization` header, if one was sent. Two are refused (`400`):
/// which one counts would be a guess, and a proxy and the service could
/// guess differently.
pub fn authorization(req: &HttpRequest) -> Result<Option<&header::HeaderValue>, ApiError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::BadRequest {
            code: "duplicate_authorization",
            detail: "send one `Authorization` header, not several".into(),
        });
    }
    Ok(first)
}

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = authorization(req)? else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is malformed".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

async fn authenticate(state: web::Data<AppState>, token: String) -> Result<Caller, ApiError> {
    let claims = state
        .keys
        .verify(&token)
        .map_err(|r| ApiError::Unauthorized(r.into()))?;
    // Revocation is checked against the database on every request, so a
    // revoked client stops at once on every instance.
    let (client, org) = (claims.sub.clone(), claims.org.clone());
    let active = state
        .db(move |conn| Ok(clients::is_active(conn, &client, &org)?))
        .await?;
    if !active {
        return Err(ApiError::Unauthorized(
            "the token's client has been revoked".into(),
        ));
    }
    Ok(Caller {
        client_id: claims.sub,
        organization_id: claims.org,
        scopes: claims.scope.split_whitespace().map(str::to_owned).collect(),
    })
}

fn app_state(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .expect("AppState is registered")
        .clone()
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = MaybeAuthenticated::from_request(req, payload);
        Box::pin(async move {
            caller
                .await?
                .0
                .map(Authenticated)
                .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))
        })
    }
}

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = app_state(req);
        let req = req.clone();
        Box::pin(async move {
            let Some(token) = token? else {
                return Ok(MaybeAuthenticated(None));
            };
            let caller = authenticate(state, token).await?;
            // Writes count against the organization's quota, once the
            // token is known to be genuine (a forged one cannot spend it).
            let write = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
            if let Some(limits) = req.app_data::<web::Data<RateLimits>>().filter(|_| write) {
                limits.check_write(&req, &caller.organization_id)?;
            }
            Ok(MaybeAuthenticated(Some(caller)))
        })
    }
}
