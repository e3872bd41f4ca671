//! One error type for the HTTP layer, rendered as RFC 9457 problem+json with
//! a stable `code`. Internal causes are logged with their whole chain and
//! never sent to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One failing input: which field (a dotted path such as `location.latitude`
/// or `topics[1]`, or a query parameter name) and what is wrong with it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// Path of the failing field in the request body, or the parameter name.
    #[schema(example = "format")]
    pub field: String,
    /// What is wrong, in words a developer can act on.
    #[schema(example = "unknown value `zoom`, expected one of: in_person, online, hybrid")]
    pub message: String,
    /// For closed vocabularies: the values that would be accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["in_person", "online", "hybrid"]))]
    pub allowed: Option<Vec<String>>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
            allowed: None,
        }
    }

    pub fn with_allowed(mut self, allowed: Vec<String>) -> Self {
        self.allowed = Some(allowed);
        self
    }
}

impl From<(&str, crate::vocab::UnknownValue)> for FieldError {
    fn from((field, e): (&str, crate::vocab::UnknownValue)) -> Self {
        let allowed = e.allowed.iter().map(|s| s.to_string()).collect();
        FieldError::new(field, e.to_string()).with_allowed(allowed)
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation_failed",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "1 field is invalid",
    "code": "validation_failed",
    "errors": [{"field": "format", "message": "unknown value `zoom`, expected one of: in_person, online, hybrid",
                "allowed": ["in_person", "online", "hybrid"]}]
}))]
pub struct Problem {
    /// URI reference identifying the problem type (`/problems/{code}`).
    #[serde(rename = "type")]
    pub type_: String,
    /// Short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Stable machine-readable code, snake_case; switch on this.
    pub code: String,
    /// The failing fields, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// OAuth 2.0 error code (RFC 6749 §5.2), on the token endpoint only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// OAuth 2.0 error description, on the token endpoint only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("invalid query parameter {}", .0.field)]
    InvalidQuery(FieldError),
    #[error("invalid path parameter {}", .0.field)]
    InvalidPath(FieldError),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error("conflict: {detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("gone: {0}")]
    Gone(String),
    #[error("payload too large")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// A rate limit refused the request (see `crate::ratelimit`).
    #[error("rate limited: {detail}")]
    RateLimited {
        detail: String,
        retry_after: u64,
        policy: &'static str,
        limit: u32,
    },
    /// The request body did not arrive in time; the connection is closed.
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    #[error("oauth error {error}: {description}")]
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(e.into())
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// The database does not answer (the cause is logged, never shown).
    pub fn database_unavailable() -> Self {
        ApiError::Unavailable("the database is not answering; try again shortly".into())
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("no {what} with this identifier"))
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest { code, .. } | ApiError::Conflict { code, .. } => code,
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::InvalidPath(_) => "invalid_path",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::PreconditionFailed(_) => "precondition_failed",
            ApiError::Gone(_) => "cursor_expired",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::OAuth { error, .. } => error,
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "The request has invalid fields",
            ApiError::BadRequest { .. } => "The request is not valid",
            ApiError::MalformedJson(_) => "The request body is not valid JSON",
            ApiError::InvalidQuery(_) => "A query parameter is invalid",
            ApiError::InvalidPath(_) => "A path parameter is invalid",
            ApiError::Unauthorized(_) => "Authentication is required",
            ApiError::Forbidden(_) => "This token may not do that",
            ApiError::NotFound(_) => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::Conflict { .. } => "Conflict with the current state",
            ApiError::PreconditionFailed(_) => "The listing has changed",
            ApiError::Gone(_) => "The cursor has expired",
            ApiError::PayloadTooLarge(_) => "The request body is too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported content type",
            ApiError::RequestTimeout(_) => "The request body took too long",
            ApiError::RateLimited { .. } => "Too many requests",
            ApiError::OAuth { .. } => "The token request was refused",
            ApiError::Unavailable(_) => "The service is temporarily unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }

    /// The problem document sent for this error.
    pub fn problem(&self) -> Problem {
        let (detail, errors) = match self {
            ApiError::Validation(errors) => {
                let n = errors.len();
                let detail = match errors.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    _ => format!("{n} fields are invalid"),
                };
                (detail, Some(errors.clone()))
            }
            ApiError::InvalidQuery(e) | ApiError::InvalidPath(e) => {
                (format!("{}: {}", e.field, e.message), Some(vec![e.clone()]))
            }
            ApiError::Internal(_) => (
                "Something went wrong on our side; it has been logged.".to_owned(),
                None,
            ),
            ApiError::MethodNotAllowed(allow) => (format!("This resource supports: {allow}"), None),
            ApiError::BadRequest { detail, .. }
            | ApiError::Conflict { detail, .. }
            | ApiError::RateLimited { detail, .. } => (detail.clone(), None),
            ApiError::OAuth { description, .. } => (description.clone(), None),
            ApiError::MalformedJson(d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::Gone(d)
            | ApiError::PayloadTooLarge(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::RequestTimeout(d)
            | ApiError::Unavailable(d) => (d.clone(), None),
        };
        let (error, error_description) = match self {
            ApiError::OAuth {
                error, description, ..
            } => (Some(error.to_string()), Some(description.clone())),
            _ => (None, None),
        };
        Problem {
            type_: format!("/problems/{}", self.code()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail,
            code: self.code().to_owned(),
            errors,
            error,
            error_description,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. }
            | ApiError::MalformedJson(_)
            | ApiError::InvalidQuery(_)
            | ApiError::InvalidPath(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::OAuth { status, .. } => *status,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            log::error!("internal error: {chain}");
        } else if let ApiError::Unavailable(d) = self {
            log::warn!("service unavailable: {d}");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_JSON);
        match self {
            ApiError::Unauthorized(detail) => {
                let challenge = if detail.starts_with("missing") {
                    r#"Bearer realm="circles""#.to_owned()
                } else {
                    format!(
                        r#"Bearer realm="circles", error="invalid_token", error_description="{}""#,
                        detail.replace('"', "'")
                    )
                };
                res.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            ApiError::OAuth { status, .. } if *status == StatusCode::UNAUTHORIZED => {
                res.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="circles""#));
            }
            ApiError::MethodNotAllowed(allow) => {
                res.insert_header((header::ALLOW, *allow));
            }
            ApiError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            // The rest of the body is still on its way: the connection
            // cannot be reused.
            ApiError::RequestTimeout(_) => {
                res.force_close();
            }
            ApiError::RateLimited {
                retry_after,
                policy,
                limit,
                ..
            } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
                res.insert_header(("RateLimit-Policy", format!("\"{policy}\";q={limit};w=60")));
                res.insert_header(("RateLimit", format!("\"{policy}\";r=0;t={retry_after}")));
            }
            _ => {}
        }
        res.json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::NotFound("not found".to_owned()),
            // The connection went away under the query (the database
            // restarted or is unreachable): retrying later may work.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                log::warn!("database connection lost: {}", info.message());
                ApiError::database_unavailable()
            }
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ApiError::Conflict {
                code: "conflict",
                detail: "a listing with the same unique value already exists".to_owned(),
            },
            other => ApiError::internal(other),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        // The cause names hosts and ports: logged, never sent.
        log::warn!("no database connection available: {e}");
        ApiError::database_unavailable()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn status_mapping_and_no_leak() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (ApiError::field("format", "bad"), 422, "validation_failed"),
            (ApiError::MalformedJson("x".into()), 400, "malformed_json"),
            (
                ApiError::Unauthorized("missing token".into()),
                401,
                "unauthorized",
            ),
            (ApiError::Forbidden("x".into()), 403, "forbidden"),
            (ApiError::not_found("group"), 404, "not_found"),
            (ApiError::MethodNotAllowed("GET"), 405, "method_not_allowed"),
            (
                ApiError::PreconditionFailed("x".into()),
                412,
                "precondition_failed",
            ),
            (
                ApiError::PayloadTooLarge("x".into()),
                413,
                "payload_too_large",
            ),
            (
                ApiError::UnsupportedMediaType("x".into()),
                415,
                "unsupported_media_type",
            ),
            (
                ApiError::Unavailable("pool".into()),
                503,
                "service_unavailable",
            ),
            (diesel::result::Error::NotFound.into(), 404, "not_found"),
            (
                ApiError::internal("SELECT secret FROM /var/lib/db"),
                500,
                "internal_error",
            ),
        ];
        for (err, status, code) in cases {
            let res = err.error_response();
            assert_eq!(res.status().as_u16(), status);
            let body = res.into_body().try_into_bytes().unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["code"], code);
            assert_eq!(v["status"], status);
            assert!(!String::from_utf8_lossy(&body).contains("SELECT"));
        }
    }
}
