//! HTTP helpers shared by the resource modules: resources that answer `405`
//! with `Allow`, and the headers of public reads. (The routes themselves are
//! declared by each module's `configure`, gathered in `crate::startup`.)

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{web, HttpResponse, HttpResponseBuilder, Resource};

use crate::error::ApiError;

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
