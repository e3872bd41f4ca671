//! The documentation page (`/docs/`) and its assets.

use crate::helpers::{spawn_app, Reply};

#[tokio::test]
async fn docs_page_and_assets_load() {
    let app = spawn_app().await;
    let redirect = app.get("/docs").await;
    assert!(
        redirect.status.is_redirection(),
        "/docs redirects: {}",
        redirect.status
    );
    let page = app.get("/docs/").await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    assert!(
        page.text.to_ascii_lowercase().contains("<html"),
        "an HTML page"
    );
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js"] {
        let r = Reply::unchecked(app.client.get(app.url(asset)).send().await.unwrap()).await;
        assert_eq!(r.status.as_u16(), 200, "{asset}");
        assert!(r.text.len() > 1000, "{asset} has content");
    }
    let init = Reply::unchecked(
        app.client
            .get(app.url("/docs/swagger-initializer.js"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(init.status.as_u16(), 200);
    assert!(
        init.text.contains("/openapi.json"),
        "the page loads our document"
    );
}
