//! Tests of what spans endpoints: tenancy, visibility, conditional requests,
//! validation, idempotency, concurrency, crash safety, merge patch, paging,
//! caching, HTTP behaviour (request ids, HEAD, CORS), keyword search on several
//! lists, schedule limits, defences against refused requests, stalled bodies and
//! browsers, a database outage, rate limits,
//! fuzzing regressions and the README walkthrough.

mod caching;
mod concurrency;
mod crash;
mod defences;
mod fuzz_findings;
mod http;
mod idempotency;
mod keyword_search;
mod merge_patch;
mod outage;
mod pagination;
mod preconditions;
mod rate_limits;
mod schedule_limits;
mod tenancy;
mod validation;
mod visibility;
mod walkthrough;
