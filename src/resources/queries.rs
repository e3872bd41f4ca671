//! Database access for resources: the main row plus join tables for topics
//! and languages, so every filter can use an index on both backends.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::dto::*;
use crate::db::schema::{resource_languages, resource_topics, resources};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::pagination::{invalid_cursor, Cursor, PageRequest};
use crate::search::{
    binds, full_text, organization_condition, Bind, Indexed, Keywords, SqlBuilder,
};
use crate::vocab::*;

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
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
    search_topics: Option<String>,
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
            search_topics: crate::search::topic_labels(&w.topics),
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
    pub keywords: Option<Keywords>,
}

/// A resource in the public list, with its keyword rank (lower is better).
#[derive(Debug, QueryableByName)]
pub struct ResourceHit {
    #[diesel(embed)]
    pub resource: ResourceRow,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    pub rank: Option<f64>,
}

impl ResourceHit {
    /// Position of this hit in the public list: its crisis flag, its rank
    /// with `q`, and its id.
    pub fn cursor(&self) -> Cursor {
        let flag = if self.resource.crisis { "1" } else { "0" };
        let key = match self.rank {
            Some(r) => format!("{flag}:{r:?}"),
            None => flag.to_owned(),
        };
        Cursor::after_keyed(key, &self.resource.id)
    }
}

/// The crisis flag and rank a list cursor was issued after; cursors of
/// other lists are refused.
fn cursor_key(c: &Cursor, ranked: bool) -> Result<(bool, Option<f64>), ApiError> {
    let key = c.key.as_deref().ok_or_else(invalid_cursor)?;
    let (flag, rank) = match key.split_once(':') {
        Some((f, r)) => (f, Some(r.parse::<f64>().map_err(|_| invalid_cursor())?)),
        None => (key, None),
    };
    if rank.is_some() != ranked {
        return Err(invalid_cursor());
    }
    match flag {
        "1" => Ok((true, rank)),
        "0" => Ok((false, rank)),
        _ => Err(invalid_cursor()),
    }
}

/// One page (`limit + 1` rows) of published resources matching `f`: crisis
/// resources first, then the best keyword matches (with `q`), then by id.
pub fn list_public(
    conn: &mut DbConnection,
    f: &ResourceFilter,
    page: &PageRequest,
) -> Result<Vec<ResourceHit>, ApiError> {
    let mut b = SqlBuilder::new(conn);
    let mut c = vec![
        "r.status = 'published'".to_owned(),
        "r.deleted_at IS NULL".to_owned(),
    ];
    let mut join = String::new();
    let mut rank = None;
    if let Some(k) = &f.keywords {
        let ft = full_text(&mut b, Indexed::Resources, "r", k);
        join = ft.join;
        c.push(ft.condition);
        rank = Some(ft.rank);
    }
    if let Some(v) = &f.kinds {
        c.push(format!("r.kind {}", b.in_list(binds(v))));
    }
    if let Some(v) = &f.topics {
        c.push(format!(
            "r.id IN (SELECT resource_id FROM resource_topics WHERE topic {})",
            b.in_list(binds(v))
        ));
    }
    if let Some(v) = &f.languages {
        c.push(format!(
            "r.id IN (SELECT resource_id FROM resource_languages WHERE language {})",
            b.in_list(v.iter().cloned().map(Bind::Text))
        ));
    }
    if let Some(v) = &f.organizations {
        c.push(organization_condition(&mut b, "r", v));
    }
    if let Some(v) = &f.countries {
        c.push(format!(
            "(r.country {} OR r.country IS NULL)",
            b.in_list(v.iter().cloned().map(Bind::Text))
        ));
    }
    if let Some(x) = f.crisis {
        c.push(format!("r.crisis = {}", if x { "TRUE" } else { "FALSE" }));
    }
    if let Some(cur) = &page.cursor {
        // Keyset for `crisis DESC, rank ASC, id ASC`: after a crisis row
        // come the rest of the crisis rows, then every non-crisis row.
        let (crisis, after_rank) = cursor_key(cur, rank.is_some())?;
        let id = b.param(Bind::Text(cur.after_id.clone()));
        let same = match (&rank, after_rank) {
            (Some(r), Some(k)) => {
                let k = b.param(Bind::Double(k));
                format!("({r}, r.id) > ({k}, {id})")
            }
            _ => format!("r.id > {id}"),
        };
        c.push(if crisis {
            format!("((r.crisis = TRUE AND {same}) OR r.crisis = FALSE)")
        } else {
            format!("(r.crisis = FALSE AND {same})")
        });
    }
    let order = match &rank {
        Some(r) => format!("r.crisis DESC, {r} ASC, r.id ASC"),
        None => "r.crisis DESC, r.id ASC".to_owned(),
    };
    b.push(&format!(
        "SELECT r.*, CAST({} AS DOUBLE PRECISION) AS rank FROM resources r{join} \
         WHERE {} ORDER BY {order} LIMIT {}",
        rank.as_deref().unwrap_or("NULL"),
        c.join(" AND "),
        page.limit + 1
    ));
    Ok(b.load(conn)?)
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
