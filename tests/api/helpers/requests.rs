//! HTTP requests and replies: `Reply` (status, headers, body; checked for
//! leaks), the send helpers on `TestApp` and `send_to` for any instance, and
//! assertions on problem documents.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::app::TestApp;

/// Strings that must never appear in a response body.
pub const LEAKS: &[&str] = &["SELECT", "diesel", "/work/", "panicked"];

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
