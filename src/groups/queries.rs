//! Support groups as a kind of listing: what the generic listing layer
//! (`crate::listing`) needs to know about them.

use chrono::Utc;
use diesel::prelude::*;

use super::derived::slots_sql;
pub use super::derived::{has_stale_derived, refresh_all_derived, Prepared};
use super::dto::*;
use super::row::Attributes;
pub use super::row::{GroupRow, NO_MEETING};
use crate::changelog::ListingType;
use crate::db::schema::support_groups;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::listing::{JoinTable, Listing, Meta, OrganizationSummary};
use crate::vocab::*;

/// Support groups, as a kind of listing.
pub struct Group;

impl Listing for Group {
    const KIND: ListingType = ListingType::Group;
    const TABLE: &'static str = "support_groups";
    const NOUN: &'static str = "group";
    const FINGERPRINT_COLUMN: Option<&'static str> = Some("content_hash");
    const JOINS: &'static [JoinTable] = &[
        ("group_topics", "group_id", "topic"),
        ("group_languages", "group_id", "language"),
        ("group_recovery_stages", "group_id", "stage"),
        ("group_support_types", "group_id", "support_type"),
    ];
    type Row = GroupRow;
    type Write = GroupWrite;
    type Prepared = Prepared;
    type Response = GroupResponse;

    fn meta(r: &GroupRow) -> Meta<'_> {
        Meta {
            id: &r.id,
            organization_id: &r.organization_id,
            external_id: r.external_id.as_deref(),
            version: r.version,
            published: r.status == ListingStatus::Published.as_str(),
        }
    }
    fn prepare(mut w: GroupWrite) -> Result<Prepared, ApiError> {
        w.validate()?;
        Prepared::new(w)
    }
    fn write_of(p: &Prepared) -> &GroupWrite {
        &p.write
    }
    fn external_id(w: &GroupWrite) -> Option<&str> {
        w.external_id.as_deref()
    }
    fn set_external_id(w: &mut GroupWrite, ext: &str) {
        w.external_id = Some(ext.to_owned());
    }
    fn join_values(w: &GroupWrite) -> Vec<Vec<&str>> {
        vec![
            w.topics.iter().map(|t| t.as_str()).collect(),
            w.languages.iter().map(String::as_str).collect(),
            w.recovery_stages.iter().map(|t| t.as_str()).collect(),
            w.support_types.iter().map(|t| t.as_str()).collect(),
        ]
    }
    fn to_write(r: &GroupRow, joins: &[Vec<String>]) -> Result<GroupWrite, ApiError> {
        r.to_write(&Attributes::from_joins(joins)?)
    }
    fn to_response(
        r: &GroupRow,
        joins: &[Vec<String>],
        org: OrganizationSummary,
        privileged: bool,
    ) -> Result<GroupResponse, ApiError> {
        r.to_response(&Attributes::from_joins(joins)?, org, privileged)
    }
    fn derive(p: &Prepared) -> Result<(), ApiError> {
        p.derived().map(drop)
    }
    fn insert_row(conn: &mut DbConnection, id: &str, org: &str, p: &Prepared) -> QueryResult<()> {
        let cols = &derived(p)?.cols;
        let now = Utc::now().naive_utc();
        diesel::insert_into(support_groups::table)
            .values((
                support_groups::id.eq(id),
                support_groups::organization_id.eq(org),
                support_groups::version.eq(1i64),
                support_groups::created_at.eq(now),
                support_groups::updated_at.eq(now),
                cols,
            ))
            .execute(conn)
            .map(drop)
    }
    fn update_row(conn: &mut DbConnection, id: &str, p: &Prepared) -> QueryResult<()> {
        diesel::update(support_groups::table.find(id))
            .set((
                &derived(p)?.cols,
                support_groups::version.eq(support_groups::version + 1i64),
                support_groups::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
            .map(drop)
    }
    fn derived_sql(id: &str, p: &Prepared) -> QueryResult<String> {
        slots_sql(id, &derived(p)?.slots)
    }
}

/// The derived values of a write, as a database error if they cannot be
/// computed (they can: only serializing a validated body could fail).
fn derived(p: &Prepared) -> QueryResult<&super::derived::Derived> {
    p.derived()
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))
}
