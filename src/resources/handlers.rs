//! Resource endpoints: public reads and the owning organization's writes.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::queries::{self, Resource, ResourceFilter};
use crate::error::{ApiError, Problem};
use crate::extract::{country_list, language_list, str_list, vocab_list, Query};
use crate::http::page_response;
use crate::listing::routes::{self, Docs, Endpoints};
use crate::listing::store;
use crate::pagination::{split_page, PageRequest};
use crate::state::AppState;
use crate::vocab::*;

/// `GET /v1/resources` here; the endpoints every listing has in
/// [`crate::listing::routes`], with the words of [`Docs`] below.
pub fn configure(cfg: &mut web::ServiceConfig) {
    routes::configure::<Resource>(cfg, web::get().to(list_resources));
}

/// The operations [`configure`] routes, for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_resources),
    components(schemas(ResourceWrite, ResourceResponse))
)]
pub struct Api;

/// Filters of the resource list. A comma-separated value means "any of";
/// different filters combine with AND.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResourceListQuery {
    /// Kinds of resource, any of.
    #[param(value_type = Option<Vec<ResourceKind>>, style = Form, explode = false, example = "hotline,guide")]
    pub kind: Option<String>,
    /// Topics, any of.
    #[param(value_type = Option<Vec<Topic>>, style = Form, explode = false, example = "grief,trauma")]
    pub topic: Option<String>,
    /// BCP 47 language tags, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "en,es")]
    pub language: Option<String>,
    /// Organization ids or slugs, any of.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "friends-of-ash")]
    pub organization: Option<String>,
    /// ISO 3166-1 alpha-2 country codes, any of. Resources that serve one of
    /// these countries are returned, and so are those that serve anywhere.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = "GB,IE")]
    pub country: Option<String>,
    /// Only crisis resources (`true`) or only the others (`false`).
    #[param(example = true)]
    pub crisis: Option<bool>,
    /// Keywords, searched in the name, summary, topics and the
    /// organization's name (English stemming; the last word may be the start
    /// of a word). Crisis resources still come first, then the best matches.
    #[param(max_length = 200, example = "helpline")]
    pub q: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl ResourceListQuery {
    fn filter(&self) -> Result<ResourceFilter, ApiError> {
        let nonempty = |v: Option<Vec<String>>| v.filter(|l| !l.is_empty());
        Ok(ResourceFilter {
            kinds: vocab_list("kind", self.kind.as_deref())?.filter(|l| !l.is_empty()),
            topics: vocab_list("topic", self.topic.as_deref())?.filter(|l| !l.is_empty()),
            languages: language_list("language", self.language.as_deref())?,
            organizations: nonempty(str_list(self.organization.as_deref())),
            countries: country_list("country", self.country.as_deref())?,
            crisis: self.crisis,
            keywords: self
                .q
                .as_deref()
                .map(crate::search::Keywords::parse)
                .transpose()?
                .flatten(),
        })
    }
}

/// List published resources.
///
/// Links partner organizations recommend: articles, guides, helplines and
/// more. Crisis resources come first, then the others, oldest first.
#[utoipa::path(
    get, path = "/v1/resources", tag = "resources", operation_id = "listResources",
    summary = "List and filter published resources",
    params(ResourceListQuery),
    responses(
        (status = 200, description = "A page of resources, crisis resources first", body = ResourcePage,
            headers(("Link" = String, description = "`<url>; rel=\"next\"` when there is a next page"),
                    ("Cache-Control" = String, description = "Public caching directives"))),
        (status = 400, description = "Invalid filter value, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn list_resources(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: Query<ResourceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.0.filter()?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let limit = page.limit;
    let (data, next_cursor) = state
        .db(move |conn| {
            let hits = queries::list_public(conn, &filter, &page)?;
            let (hits, next) = split_page(hits, limit, |h| h.cursor());
            let rows: Vec<_> = hits.into_iter().map(|h| h.resource).collect();
            Ok((store::responses::<Resource>(conn, &rows, |_| false)?, next))
        })
        .await?;
    let mut res = page_response(&state.config, &req, false, next_cursor.as_deref());
    Ok(res.json(ResourcePage { data, next_cursor }))
}

impl Endpoints for Resource {
    const DOCS: Docs = Docs {
        get: "Published resources are public. With a token, an organization also sees\n\
            its own drafts and archived resources.",
        create: "The resource belongs to the token's organization. It starts as a `draft`\n\
            unless `status` says otherwise; publish it with\n\
            `PATCH /v1/resources/{id}` and `{\"status\": \"published\"}`.",
        replace: "Sends the whole resource; fields left out take their defaults.",
        update: "Send only what changes; `null` clears an optional field. The result is\n\
            validated like a full write. Publish with `{\"status\": \"published\"}`.",
        delete: "The resource disappears from every read at once; its `external_id` may be\n\
            used again.",
        id_example: Some("0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f02"),
        update_example_status: "published",
        read_header: (
            "Cache-Control",
            "Public caching directives, or `private, no-store` with a token",
        ),
    };
}
