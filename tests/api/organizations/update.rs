//! Updating an organization's profile (`PATCH /v1/organizations/{id}`):
//! merge patches, and `verified`, which only administrators set.

use serde_json::json;

use crate::helpers::{names_field, spawn_app};

#[tokio::test]
async fn only_administrators_set_verified() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Self service").await;
    let path = format!("/v1/organizations/{}", org.id);

    app.patch(&path, &org.token, &json!({"verified": true}))
        .await
        .problem(403, "forbidden");
    app.patch(
        &path,
        &org.token,
        &json!({"verified": true, "description": "We are trustworthy."}),
    )
    .await
    .problem(403, "forbidden");
    let now = app.get(&path).await.expect(200);
    assert_eq!(now["verified"], false);
    assert!(now["description"].is_null(), "{now}");
    app.post(
        "/v1/organizations",
        &org.token,
        &json!({"name": "Self verified", "kind": "nonprofit", "verified": true}),
    )
    .await
    .problem(403, "forbidden");

    // The organization edits its own profile; its private contact is shown
    // to itself only.
    let edited = app
        .patch(
            &path,
            &org.token,
            &json!({"description": "Peer circles.", "contact": {"email": "hi@example.org", "public": false}}),
        )
        .await
        .expect(200);
    assert_eq!(edited["description"], "Peer circles.");
    assert_eq!(edited["verified"], false);
    let public = app.get(&path).await.expect(200);
    assert!(
        public["contact"].is_null(),
        "private contact shown: {public}"
    );
    let other = app.org("Nosy").await;
    let seen = app.get_auth(&path, &other.token).await.expect(200);
    assert!(seen["contact"].is_null(), "private contact shown: {seen}");
    let own = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(own["contact"]["email"], "hi@example.org");

    // The administrator verifies it.
    let verified = app
        .patch(&path, &admin.token, &json!({"verified": true}))
        .await
        .expect(200);
    assert_eq!(verified["verified"], true);
    assert_eq!(app.get(&path).await.expect(200)["verified"], true);
    // The organization may send its unchanged `verified` back, not flip it.
    app.patch(
        &path,
        &org.token,
        &json!({"verified": true, "area_served": "London"}),
    )
    .await
    .expect(200);
    app.patch(&path, &org.token, &json!({"verified": false}))
        .await
        .problem(403, "forbidden");
}

#[tokio::test]
async fn organization_profiles_are_merge_patched() {
    let app = spawn_app().await;
    let org = app.org("Profile").await;
    let path = format!("/v1/organizations/{}", org.id);
    let set = app
        .patch(
            &path,
            &org.token,
            &json!({"website": "https://profile.example.org", "area_served": "Leeds",
                    "social_links": [{"platform": "instagram", "url": "https://instagram.com/profile"}]}),
        )
        .await
        .expect(200);
    assert_eq!(set["website"], "https://profile.example.org");
    assert_eq!(set["name"], "Profile");
    let cleared = app
        .patch(&path, &org.token, &json!({"website": null}))
        .await
        .expect(200);
    assert!(cleared["website"].is_null());
    assert_eq!(cleared["area_served"], "Leeds");
    assert_eq!(cleared["social_links"][0]["platform"], "instagram");
    // Invalid results change nothing.
    for (patch, field) in [
        (json!({"website": "not a url"}), "website"),
        (json!({"name": null}), "name"),
        (json!({"slug": "Bad Slug"}), "slug"),
        (json!({"colour": "blue"}), "colour"),
    ] {
        let p = app
            .patch(&path, &org.token, &patch)
            .await
            .problem(422, "validation_failed");
        assert!(names_field(&p, field), "{patch}: {p}");
    }
    let now = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(now, cleared);
    // A new slug is reachable.
    let renamed = app
        .patch(&path, &org.token, &json!({"slug": "profile-renamed"}))
        .await
        .expect(200);
    assert_eq!(renamed["slug"], "profile-renamed");
    app.get("/v1/organizations/profile-renamed")
        .await
        .expect(200);
    // A slug another organization uses is refused.
    let other = app.org("Taken slug").await;
    app.patch(&path, &org.token, &json!({"slug": other.slug}))
        .await
        .problem(409, "slug_taken");
}
