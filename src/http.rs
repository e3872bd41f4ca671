//! HTTP helpers shared by the resource modules: resources that answer `405`
//! with `Allow`, and the headers of public reads. (The routes themselves are
//! declared by each module's `configure`, gathered in `crate::startup`.)

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder, Resource};

use crate::config::Config;
use crate::error::ApiError;
use crate::pagination::next_link;

/// A resource whose unsupported methods answer `405` with an `Allow` header
/// (`allow` lists the methods it supports; `HEAD` comes with `GET`).
pub fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, _>(ApiError::MethodNotAllowed(allow))
    }))
}

/// Headers of a public read: cacheable by anyone for `max_age` seconds.
/// Reads made with a token may include private data, so they are not cached.
pub fn read_response(max_age: u32, authenticated: bool) -> HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    if authenticated {
        res.insert_header(CacheControl(vec![
            CacheDirective::Private,
            CacheDirective::NoStore,
        ]));
    } else {
        res.insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(max_age),
        ]));
    }
    res.insert_header((header::VARY, "Authorization"));
    res
}

/// Headers of a page of a public list ([`read_response`]), with
/// `Link: <…>; rel="next"` when there is a next page.
pub fn page_response(
    config: &Config,
    req: &HttpRequest,
    authenticated: bool,
    next_cursor: Option<&str>,
) -> HttpResponseBuilder {
    let mut res = read_response(config.cache_max_age, authenticated);
    if let Some(c) = next_cursor {
        res.insert_header((
            header::LINK,
            next_link(req, config.public_url.as_deref(), c),
        ));
    }
    res
}
