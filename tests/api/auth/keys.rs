//! Signing keys: previous keys still verify after a rotation, and a generated
//! secret is kept across restarts.

use serde_json::json;

use crate::helpers::{claims, forge, group_body, Reply, JWT_KID, JWT_SECRET};

use super::support::assert_refused;

#[tokio::test]
async fn rotated_keys_verify_old_tokens_and_sign_with_the_new_one() {
    const OLD_SECRET: &str = "the-previous-signing-secret-0123456789abcdefgh";
    let app = crate::helpers::spawn_app_with(|c| {
        c.jwt.previous_keys = vec![("old-kid".into(), circles::config::Secret::new(OLD_SECRET))];
    })
    .await;
    let org = app.org("Rotating").await;
    // New tokens carry the current kid.
    let header = jsonwebtoken::decode_header(&org.token).expect("a JWT header");
    assert_eq!(header.kid.as_deref(), Some(JWT_KID));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    // A token signed with the previous key still works.
    let old = forge(&claims(&org), Some("old-kid"), OLD_SECRET);
    app.create_group(&old, &group_body(json!({}))).await;
    // Keys are bound to their kid.
    let mixed = forge(&claims(&org), Some("old-kid"), JWT_SECRET);
    assert_refused(&app, &org, Some(&mixed), "current secret under the old kid").await;
    let mixed = forge(&claims(&org), Some(JWT_KID), OLD_SECRET);
    assert_refused(&app, &org, Some(&mixed), "old secret under the current kid").await;
}

#[tokio::test]
async fn a_generated_secret_survives_a_restart() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.jwt.secret = None;
        c.jwt.kid = None;
    })
    .await;
    let org = app.org("Restarted").await;
    let path = app.dir.path().join("jwt-secret");
    let secret = std::fs::read_to_string(&path).expect("the generated secret is kept");
    assert!(secret.trim().len() >= 32, "a long secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "jwt-secret mode {mode:o}");
    }
    let header = jsonwebtoken::decode_header(&org.token).expect("a JWT header");
    assert!(header.kid.is_some_and(|k| !k.is_empty()), "a derived kid");

    // A second instance on the same data directory accepts the token.
    let mut config =
        crate::helpers::test_config(app.database_url.clone(), app.dir.path().to_path_buf());
    config.jwt.secret = None;
    config.jwt.kid = None;
    let second = crate::helpers::spawn_instance(config);
    let res = app
        .client
        .post(format!("{second}/v1/groups"))
        .bearer_auth(&org.token)
        .json(&group_body(json!({})))
        .send()
        .await
        .unwrap();
    Reply::from(res).await.expect(201);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        secret,
        "the secret is not regenerated"
    );
}
