//! One listing layer. A kind of listing (group, event, resource) says once,
//! in an `impl Listing`, what it is: its table and join tables, its row, its
//! write body and what validating it derives, its responses. Everything done
//! the same way for every kind is written once on top of that:
//!
//! - [`store`]: find (visible, owned, by external id), create, update (its
//!   costly part outside the write lock), soft-delete, join rows (batched),
//!   responses with their organizations;
//! - [`sync`]: upserts by external id and bulk sync;
//! - [`parts`]: the parts every kind shares (cost, place, online details)
//!   and what the public may see of them.
//!
//! - [`handlers`] and [`routes`]: the endpoints every kind has (get, create,
//!   replace, update, delete, upsert by external id, bulk sync), routed and
//!   documented once.
//!
//! A new kind of listing is a new folder (`dto.rs`, `queries.rs` with its
//! `impl Listing`, `handlers.rs` with its list and its `impl Endpoints`)
//! and a line in the change log's [`ListingType`].

pub mod handlers;
mod parts;
pub mod routes;
pub mod store;
pub mod sync;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use parts::*;

use crate::changelog::ListingType;
use crate::db::{DbConnection, MultiBackend};
use crate::error::ApiError;

/// What every row of a listing table has.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub external_id: Option<&'a str>,
    pub version: i64,
    /// Public: everyone may read it (otherwise only its organization).
    pub published: bool,
}

/// A join table of a multi-valued field: table, owner column, value column.
pub type JoinTable = (&'static str, &'static str, &'static str);

/// The values of a listing's join tables, in the order of [`Listing::JOINS`].
pub type JoinValues = Vec<Vec<String>>;

/// A kind of listing.
pub trait Listing: Sized + 'static {
    /// Its kind in the change log and the feed.
    const KIND: ListingType;
    /// Its table; every listing table has `id`, `organization_id`,
    /// `external_id`, `version`, `created_at`, `updated_at` and `deleted_at`.
    const TABLE: &'static str;
    /// Its name in messages, e.g. `group`.
    const NOUN: &'static str;
    /// The join tables of its multi-valued fields.
    const JOINS: &'static [JoinTable];

    /// The row as stored (read with `SELECT *`, by column name).
    type Row: diesel::QueryableByName<MultiBackend> + Clone + Send + 'static;
    /// The body of a write, which is also the stored values as a body (the
    /// base of a merge patch, and what a sync compares).
    type Write: DeserializeOwned + Serialize + utoipa::ToSchema + Clone + PartialEq + Send + 'static;
    /// A validated write with what it derives (columns, recurrence),
    /// computed before any write transaction.
    type Prepared: Clone + Send + 'static;
    /// A listing as a read shows it.
    type Response: Serialize + Send + 'static;

    fn meta(row: &Self::Row) -> Meta<'_>;

    /// Validate and normalize a body, and derive what its write needs.
    fn prepare(w: Self::Write) -> Result<Self::Prepared, ApiError>;
    fn write_of(p: &Self::Prepared) -> &Self::Write;
    fn external_id(w: &Self::Write) -> Option<&str>;
    fn set_external_id(w: &mut Self::Write, ext: &str);
    /// The values of its join tables, in the order of [`Self::JOINS`]:
    /// ids and vocabulary tokens only (see [`crate::db::sql_token`]).
    fn join_values(w: &Self::Write) -> Vec<Vec<&str>>;

    /// The stored values as a write body.
    fn to_write(row: &Self::Row, joins: &[Vec<String>]) -> Result<Self::Write, ApiError>;
    /// The response; `privileged` (its organization) sees every detail,
    /// anyone else what the visibilities allow.
    fn to_response(
        row: &Self::Row,
        joins: &[Vec<String>],
        org: OrganizationSummary,
        privileged: bool,
    ) -> Result<Self::Response, ApiError>;

    /// Compute what the write derives (expanding a schedule) before the write
    /// transaction; a kind whose `prepare` derived everything has nothing
    /// left to do.
    fn derive(_p: &Self::Prepared) -> Result<(), ApiError> {
        Ok(())
    }
    /// Insert the row `id` (inside the caller's transaction).
    fn insert_row(
        conn: &mut DbConnection,
        id: &str,
        org: &str,
        p: &Self::Prepared,
    ) -> diesel::QueryResult<()>;
    /// Write the new values of row `id`, bumping its version.
    fn update_row(conn: &mut DbConnection, id: &str, p: &Self::Prepared)
        -> diesel::QueryResult<()>;
    /// Statements (ids and numbers only) a write runs after its row and join
    /// rows: derived tables such as a group's meeting slots.
    fn derived_sql(_id: &str, _p: &Self::Prepared) -> diesel::QueryResult<String> {
        Ok(String::new())
    }
    /// Checks against other rows, inside the write transaction (an event's
    /// group must be one of the organization's).
    fn check(_conn: &mut DbConnection, _org: &str, _p: &Self::Prepared) -> Result<(), ApiError> {
        Ok(())
    }
    /// The column that keeps the fingerprint of the stored values, if the
    /// kind keeps one (groups do); otherwise a sync computes it from the
    /// stored values.
    const FINGERPRINT_COLUMN: Option<&'static str> = None;
}
