//! One taxonomy (`GET /v1/taxonomies/{name}`): an unknown name is a 404.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn unknown_taxonomy_is_a_404_problem() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/v1/taxonomies/nope", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["status"], 404);
    let res = app
        .client
        .post(format!("{}/v1/taxonomies", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}
