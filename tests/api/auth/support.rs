//! Requests that need a token, and the assertion that all of them refuse one.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_unauthorized, group_body, Org, Reply, TestApp};

/// Requests that need a token (or check one when sent) for `org`.
pub async fn protected_requests(
    app: &TestApp,
    org: &Org,
    token: Option<&str>,
) -> Vec<(String, Reply)> {
    let missing = uuid::Uuid::new_v4();
    let body = group_body(json!({}));
    let mut out = vec![
        (
            "POST /v1/groups".to_owned(),
            app.send(Method::POST, "/v1/groups", token, Some(&body))
                .await,
        ),
        (
            "DELETE /v1/groups/{id}".to_owned(),
            app.send(
                Method::DELETE,
                &format!("/v1/groups/{missing}"),
                token,
                None,
            )
            .await,
        ),
        (
            "PATCH /v1/organizations/{id}".to_owned(),
            app.send(
                Method::PATCH,
                &format!("/v1/organizations/{}", org.id),
                token,
                Some(&json!({"description": "changed"})),
            )
            .await,
        ),
    ];
    if token.is_some() {
        // Public reads refuse a token that is sent but bad.
        out.push((
            "GET /v1/groups/{id}".to_owned(),
            app.send(Method::GET, &format!("/v1/groups/{missing}"), token, None)
                .await,
        ));
    }
    out
}

pub async fn assert_refused(app: &TestApp, org: &Org, token: Option<&str>, what: &str) {
    for (route, reply) in protected_requests(app, org, token).await {
        assert_unauthorized(&reply, &format!("{what} on {route}"));
    }
}
