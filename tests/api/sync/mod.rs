//! Sync: upsert by the partner's own `external_id`
//! (`PUT /v1/{groups|events|resources}/by-external-id/{external_id}`) and
//! bulk sync (`POST /v1/sync/{groups|events|resources}`), with what each
//! does to the change feed.

mod bulk;
mod bulk_bodies;
mod support;
mod upsert;
