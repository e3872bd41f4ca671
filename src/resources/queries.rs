//! Database access for resources: the main row plus join tables for topics
//! and languages, so every filter can use an index on both backends.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::dto::*;
use crate::db::schema::{resource_languages, resource_topics, resources};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::pagination::{Cursor, PageRequest};
use crate::vocab::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = resources)]
pub struct ResourceRow {
    pub id: String,
    pub organization_id: String,
    pub external_id: Option<String>,
    pub name: String,
    pub url: String,
    pub kind: String,
    pub summary: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub crisis: bool,
    pub status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The columns a write sets (everything but identity, version and times).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = resources, treat_none_as_null = true)]
struct ResourceColumns {
    external_id: Option<String>,
    name: String,
    url: String,
    kind: &'static str,
    summary: Option<String>,
    phone: Option<String>,
    country: Option<String>,
    crisis: bool,
    status: &'static str,
}

impl ResourceColumns {
    fn from_write(w: &ResourceWrite) -> ResourceColumns {
        ResourceColumns {
            external_id: w.external_id.clone(),
            name: w.name.clone(),
            url: w.url.clone(),
            kind: w.kind.as_str(),
            summary: w.summary.clone(),
            phone: w.phone.clone(),
            country: w.country.clone(),
            crisis: w.crisis,
            status: w.status.as_str(),
        }
    }
}

/// Multi-valued attributes of one resource.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub topics: Vec<Topic>,
    pub languages: Vec<String>,
}

fn parse<V: Vocabulary>(s: &str) -> Result<V, ApiError> {
    V::parse(s).map_err(ApiError::internal)
}

impl ResourceRow {
    /// The stored values as a write body (the base of a merge patch).
    pub fn to_write(&self, a: &Attributes) -> Result<ResourceWrite, ApiError> {
        Ok(ResourceWrite {
            external_id: self.external_id.clone(),
            name: self.name.clone(),
            url: self.url.clone(),
            kind: parse(&self.kind)?,
            summary: self.summary.clone(),
            topics: a.topics.clone(),
            languages: a.languages.clone(),
            crisis: self.crisis,
            phone: self.phone.clone(),
            country: self.country.clone(),
            status: parse(&self.status)?,
        })
    }

    /// The response; a resource has nothing private, so owner and public see
    /// the same fields.
    pub fn to_response(
        &self,
        a: &Attributes,
        org: OrganizationSummary,
    ) -> Result<ResourceResponse, ApiError> {
        let w = self.to_write(a)?;
        Ok(ResourceResponse {
            id: self.id.clone(),
            organization: org,
            external_id: w.external_id,
            name: w.name,
            url: w.url,
            kind: w.kind,
            summary: w.summary,
            topics: w.topics,
            languages: w.languages,
            crisis: w.crisis,
            phone: w.phone,
            country: w.country,
            status: w.status,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }

    /// Position of this row in the public list (crisis first, then id).
    pub fn cursor(&self) -> Cursor {
        Cursor::after_keyed(if self.crisis { "1" } else { "0" }, &self.id)
    }
}

/// Filters of the public resource list; each `Some` list means "any of".
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    pub kinds: Option<Vec<ResourceKind>>,
    pub topics: Option<Vec<Topic>>,
    pub languages: Option<Vec<String>>,
    pub organizations: Option<Vec<String>>,
    /// Resources serving one of these countries, or anywhere.
    pub countries: Option<Vec<String>>,
    pub crisis: Option<bool>,
}

fn strs<V: Vocabulary>(v: &[V]) -> Vec<&'static str> {
    v.iter().map(|x| x.as_str()).collect()
}

/// The crisis flag a list cursor was issued after; cursors of other lists
/// (without a crisis key) are refused.
fn cursor_crisis(c: &Cursor) -> Result<bool, ApiError> {
    match c.key.as_deref() {
        Some("1") => Ok(true),
        Some("0") => Ok(false),
        _ => Err(ApiError::BadRequest {
            code: "invalid_cursor",
            detail: "the cursor is not one this list issued; start again without `cursor`".into(),
        }),
    }
}

/// One page (`limit + 1` rows) of published resources matching `f`: crisis
/// resources first, then by id.
pub fn list_public(
    conn: &mut DbConnection,
    f: &ResourceFilter,
    page: &PageRequest,
) -> Result<Vec<ResourceRow>, ApiError> {
    use crate::db::schema::organizations;
    let mut q = resources::table
        .filter(resources::status.eq(ListingStatus::Published.as_str()))
        .filter(resources::deleted_at.is_null())
        .select(ResourceRow::as_select())
        .into_boxed();
    if let Some(v) = &f.kinds {
        q = q.filter(resources::kind.eq_any(strs(v)));
    }
    if let Some(v) = &f.topics {
        q = q.filter(
            resources::id.eq_any(
                resource_topics::table
                    .select(resource_topics::resource_id)
                    .filter(resource_topics::topic.eq_any(strs(v))),
            ),
        );
    }
    if let Some(v) = &f.languages {
        q = q.filter(
            resources::id.eq_any(
                resource_languages::table
                    .select(resource_languages::resource_id)
                    .filter(resource_languages::language.eq_any(v.clone())),
            ),
        );
    }
    if let Some(v) = &f.organizations {
        q = q.filter(
            resources::organization_id.eq_any(
                organizations::table.select(organizations::id).filter(
                    organizations::id
                        .eq_any(v.clone())
                        .or(organizations::slug.eq_any(v.clone())),
                ),
            ),
        );
    }
    if let Some(v) = &f.countries {
        q = q.filter(
            resources::country
                .eq_any(v.clone())
                .or(resources::country.is_null()),
        );
    }
    if let Some(b) = f.crisis {
        q = q.filter(resources::crisis.eq(b));
    }
    if let Some(c) = &page.cursor {
        let id = c.after_id.clone();
        // Keyset for `crisis DESC, id ASC`: after a crisis row come the
        // crisis rows with larger ids, then every non-crisis row.
        if cursor_crisis(c)? {
            q = q.filter(
                resources::crisis
                    .eq(false)
                    .or(resources::crisis.eq(true).and(resources::id.gt(id))),
            );
        } else {
            q = q.filter(resources::crisis.eq(false).and(resources::id.gt(id)));
        }
    }
    Ok(q.order((resources::crisis.desc(), resources::id.asc()))
        .limit(page.limit as i64 + 1)
        .load(conn)?)
}

/// A live (not deleted) resource, if `viewer_org` may see it: published
/// resources for everyone, any status for its own organization.
pub fn find_visible(
    conn: &mut DbConnection,
    id: &str,
    viewer_org: Option<&str>,
) -> QueryResult<Option<ResourceRow>> {
    let row: Option<ResourceRow> = resources::table
        .find(id)
        .filter(resources::deleted_at.is_null())
        .select(ResourceRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.filter(|r| {
        r.status == ListingStatus::Published.as_str()
            || viewer_org == Some(r.organization_id.as_str())
    }))
}

/// A live resource of organization `org`.
pub fn find_owned(
    conn: &mut DbConnection,
    id: &str,
    org: &str,
) -> QueryResult<Option<ResourceRow>> {
    resources::table
        .find(id)
        .filter(resources::organization_id.eq(org))
        .filter(resources::deleted_at.is_null())
        .select(ResourceRow::as_select())
        .first(conn)
        .optional()
}

/// Attributes of several resources at once.
pub fn attributes(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, Attributes>, ApiError> {
    let mut map: HashMap<String, Attributes> = ids
        .iter()
        .map(|id| (id.clone(), Attributes::default()))
        .collect();
    let topics: Vec<(String, String)> = resource_topics::table
        .filter(resource_topics::resource_id.eq_any(ids))
        .order((resource_topics::resource_id, resource_topics::topic))
        .load(conn)?;
    for (r, v) in topics {
        map.entry(r).or_default().topics.push(parse(&v)?);
    }
    let languages: Vec<(String, String)> = resource_languages::table
        .filter(resource_languages::resource_id.eq_any(ids))
        .order((
            resource_languages::resource_id,
            resource_languages::language,
        ))
        .load(conn)?;
    for (r, v) in languages {
        map.entry(r).or_default().languages.push(v);
    }
    for a in map.values_mut() {
        a.topics.sort();
    }
    Ok(map)
}

/// Build responses for rows, with their attributes and organizations.
pub fn responses(
    conn: &mut DbConnection,
    rows: &[ResourceRow],
) -> Result<Vec<ResourceResponse>, ApiError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let attrs = attributes(conn, &ids)?;
    let mut org_ids: Vec<String> = rows.iter().map(|r| r.organization_id.clone()).collect();
    org_ids.sort();
    org_ids.dedup();
    let orgs: HashMap<String, OrganizationSummary> =
        crate::organizations::queries::summaries(conn, &org_ids)?
            .into_iter()
            .map(|(id, slug, name, verified)| {
                (
                    id.clone(),
                    OrganizationSummary {
                        id,
                        slug,
                        name,
                        verified,
                    },
                )
            })
            .collect();
    rows.iter()
        .map(|r| {
            let org = orgs
                .get(&r.organization_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("resource without organization"))?;
            r.to_response(&attrs.get(&r.id).cloned().unwrap_or_default(), org)
        })
        .collect()
}

fn replace_attributes(conn: &mut DbConnection, id: &str, w: &ResourceWrite) -> QueryResult<()> {
    diesel::delete(resource_topics::table.filter(resource_topics::resource_id.eq(id)))
        .execute(conn)?;
    diesel::delete(resource_languages::table.filter(resource_languages::resource_id.eq(id)))
        .execute(conn)?;
    // Row by row: batch inserts do not go through the multi-backend connection.
    for t in &w.topics {
        diesel::insert_into(resource_topics::table)
            .values((
                resource_topics::resource_id.eq(id),
                resource_topics::topic.eq(t.as_str()),
            ))
            .execute(conn)?;
    }
    for l in &w.languages {
        diesel::insert_into(resource_languages::table)
            .values((
                resource_languages::resource_id.eq(id),
                resource_languages::language.eq(l),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Create a resource for organization `org` from a validated body.
pub fn create(
    conn: &mut DbConnection,
    org: &str,
    w: &ResourceWrite,
) -> Result<ResourceRow, ApiError> {
    let cols = ResourceColumns::from_write(w);
    crate::db::write_transaction(conn, |conn| {
        let id = uuid::Uuid::now_v7().to_string();
        let now = Utc::now().naive_utc();
        diesel::insert_into(resources::table)
            .values((
                resources::id.eq(&id),
                resources::organization_id.eq(org),
                resources::version.eq(1i64),
                resources::created_at.eq(now),
                resources::updated_at.eq(now),
                &cols,
            ))
            .execute(conn)
            .map_err(|e| {
                crate::listing::on_write_error(e, w.external_id.as_deref(), "resources")
            })?;
        replace_attributes(conn, &id, w)?;
        crate::changes::record(conn, crate::changes::ListingType::Resource, &id, org)?;
        find_owned(conn, &id, org)?
            .ok_or_else(|| ApiError::internal("resource vanished after insert"))
    })
}

/// Change the resource `id` of organization `org`: `change` receives the
/// current values and returns the validated new ones. Read, change and write
/// happen in one transaction with the row locked.
pub fn update<F>(
    conn: &mut DbConnection,
    org: &str,
    id: &str,
    precondition: Option<&crate::middleware::IfMatch>,
    change: F,
) -> Result<ResourceRow, ApiError>
where
    F: FnOnce(ResourceWrite) -> Result<ResourceWrite, ApiError>,
{
    crate::db::write_transaction(conn, |conn| {
        crate::db::lock_row(conn, "resources", id)?;
        let current = find_owned(conn, id, org)?.ok_or_else(|| ApiError::not_found("resource"))?;
        crate::middleware::IfMatch::check(precondition, current.version)?;
        let attrs = attributes(conn, std::slice::from_ref(&current.id))?;
        let next = change(current.to_write(&attrs.get(id).cloned().unwrap_or_default())?)?;
        let cols = ResourceColumns::from_write(&next);
        diesel::update(resources::table.find(id))
            .set((
                &cols,
                resources::version.eq(resources::version + 1i64),
                resources::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
            .map_err(|e| {
                crate::listing::on_write_error(e, next.external_id.as_deref(), "resources")
            })?;
        replace_attributes(conn, id, &next)?;
        crate::changes::record(conn, crate::changes::ListingType::Resource, id, org)?;
        find_owned(conn, id, org)?
            .ok_or_else(|| ApiError::internal("resource vanished after update"))
    })
}

/// Soft-delete: the row stays as a tombstone; the API answers 404 from now on
/// and the `external_id` is free again.
pub fn delete(
    conn: &mut DbConnection,
    org: &str,
    id: &str,
    precondition: Option<&crate::middleware::IfMatch>,
) -> Result<(), ApiError> {
    crate::db::write_transaction(conn, |conn| {
        crate::db::lock_row(conn, "resources", id)?;
        let current = find_owned(conn, id, org)?.ok_or_else(|| ApiError::not_found("resource"))?;
        crate::middleware::IfMatch::check(precondition, current.version)?;
        let now = Utc::now().naive_utc();
        diesel::update(resources::table.find(id))
            .set((
                resources::deleted_at.eq(Some(now)),
                resources::updated_at.eq(now),
                resources::version.eq(resources::version + 1i64),
            ))
            .execute(conn)?;
        crate::changes::record(conn, crate::changes::ListingType::Resource, id, org)?;
        Ok(())
    })
}
