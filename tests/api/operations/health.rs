//! Health probes (`/healthz`, `/readyz`).

use crate::helpers::{spawn_app, Reply};

#[tokio::test]
async fn health_probes_answer() {
    let app = spawn_app().await;
    let h = app.get("/healthz").await;
    assert_eq!(h.expect(200)["status"], "ok");
    let r = app.get("/readyz").await;
    assert_eq!(r.expect(200)["status"], "ready");
    let head = Reply::from(app.client.head(app.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(head.status.as_u16(), 200);
    assert!(head.text.is_empty());
}
