//! Database access for resources: the main row plus join tables for topics
//! and languages, so every filter can use an index on both backends.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::dto::*;
use crate::changelog::ListingType;
use crate::db::schema::resources;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::listing::{JoinTable, Listing, Meta, OrganizationSummary};
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

impl Attributes {
    /// From the join values, in the order of [`Resource::JOINS`].
    fn from_joins(joins: &[Vec<String>]) -> Result<Attributes, ApiError> {
        let mut topics = joins
            .first()
            .into_iter()
            .flatten()
            .map(|t| parse(t))
            .collect::<Result<Vec<Topic>, _>>()?;
        topics.sort();
        Ok(Attributes {
            topics,
            languages: joins.get(1).cloned().unwrap_or_default(),
        })
    }
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

/// A validated resource with its columns, computed before any write
/// transaction.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub write: ResourceWrite,
    cols: ResourceColumns,
}

/// Resources, as a kind of listing.
pub struct Resource;

impl Listing for Resource {
    const KIND: ListingType = ListingType::Resource;
    const TABLE: &'static str = "resources";
    const NOUN: &'static str = "resource";
    const JOINS: &'static [JoinTable] = &[
        ("resource_topics", "resource_id", "topic"),
        ("resource_languages", "resource_id", "language"),
    ];
    type Row = ResourceRow;
    type Write = ResourceWrite;
    type Prepared = Prepared;
    type Response = ResourceResponse;

    fn meta(r: &ResourceRow) -> Meta<'_> {
        Meta {
            id: &r.id,
            organization_id: &r.organization_id,
            external_id: r.external_id.as_deref(),
            version: r.version,
            published: r.status == ListingStatus::Published.as_str(),
        }
    }
    fn prepare(mut w: ResourceWrite) -> Result<Prepared, ApiError> {
        w.validate()?;
        let cols = ResourceColumns::from_write(&w);
        Ok(Prepared { write: w, cols })
    }
    fn write_of(p: &Prepared) -> &ResourceWrite {
        &p.write
    }
    fn external_id(w: &ResourceWrite) -> Option<&str> {
        w.external_id.as_deref()
    }
    fn set_external_id(w: &mut ResourceWrite, ext: &str) {
        w.external_id = Some(ext.to_owned());
    }
    fn join_values(w: &ResourceWrite) -> Vec<Vec<&str>> {
        vec![
            w.topics.iter().map(|t| t.as_str()).collect(),
            w.languages.iter().map(String::as_str).collect(),
        ]
    }
    fn to_write(r: &ResourceRow, joins: &[Vec<String>]) -> Result<ResourceWrite, ApiError> {
        r.to_write(&Attributes::from_joins(joins)?)
    }
    /// A resource has nothing private: owner and public see the same fields.
    fn to_response(
        r: &ResourceRow,
        joins: &[Vec<String>],
        org: OrganizationSummary,
        _privileged: bool,
    ) -> Result<ResourceResponse, ApiError> {
        r.to_response(&Attributes::from_joins(joins)?, org)
    }
    fn insert_row(conn: &mut DbConnection, id: &str, org: &str, p: &Prepared) -> QueryResult<()> {
        let now = Utc::now().naive_utc();
        diesel::insert_into(resources::table)
            .values((
                resources::id.eq(id),
                resources::organization_id.eq(org),
                resources::version.eq(1i64),
                resources::created_at.eq(now),
                resources::updated_at.eq(now),
                &p.cols,
            ))
            .execute(conn)
            .map(drop)
    }
    fn update_row(conn: &mut DbConnection, id: &str, p: &Prepared) -> QueryResult<()> {
        diesel::update(resources::table.find(id))
            .set((
                &p.cols,
                resources::version.eq(resources::version + 1i64),
                resources::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)
            .map(drop)
    }
}
