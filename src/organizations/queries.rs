//! Database access for organizations.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::dto::{
    slugify, OrganizationContact, OrganizationResponse, OrganizationWrite, SocialLink,
};
use crate::db::schema::organizations;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub website: Option<String>,
    pub social_links: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_public: bool,
    pub area_served: Option<String>,
    pub verified: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl OrganizationRow {
    fn social_links(&self) -> Result<Vec<SocialLink>, ApiError> {
        serde_json::from_str(&self.social_links).map_err(ApiError::internal)
    }

    fn contact(&self) -> Option<OrganizationContact> {
        (self.contact_email.is_some() || self.contact_phone.is_some()).then(|| {
            OrganizationContact {
                email: self.contact_email.clone(),
                phone: self.contact_phone.clone(),
                public: self.contact_public,
            }
        })
    }

    /// The current values as a write body, the base of a merge patch.
    pub fn to_write(&self) -> Result<OrganizationWrite, ApiError> {
        Ok(OrganizationWrite {
            name: self.name.clone(),
            slug: Some(self.slug.clone()),
            kind: self.kind.parse().map_err(ApiError::internal)?,
            description: self.description.clone(),
            website: self.website.clone(),
            social_links: self.social_links()?,
            contact: self.contact(),
            area_served: self.area_served.clone(),
            verified: Some(self.verified),
        })
    }

    /// The response; contact details only when public or `privileged`.
    pub fn to_response(&self, privileged: bool) -> Result<OrganizationResponse, ApiError> {
        Ok(OrganizationResponse {
            id: self.id.clone(),
            slug: self.slug.clone(),
            name: self.name.clone(),
            kind: self.kind.parse().map_err(ApiError::internal)?,
            description: self.description.clone(),
            website: self.website.clone(),
            social_links: self.social_links()?,
            contact: self.contact().filter(|c| c.public || privileged),
            area_served: self.area_served.clone(),
            verified: self.verified,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

fn slug_taken(conn: &mut DbConnection, slug: &str, except_id: Option<&str>) -> QueryResult<bool> {
    let mut q = organizations::table
        .filter(organizations::slug.eq(slug))
        .into_boxed();
    if let Some(id) = except_id {
        q = q.filter(organizations::id.ne(id));
    }
    Ok(q.count().get_result::<i64>(conn)? > 0)
}

/// The only unique index written is the slug's (two writers racing past
/// [`slug_taken`]).
fn on_slug_error(e: diesel::result::Error, slug: &str) -> ApiError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => slug_conflict(slug),
        e => e.into(),
    }
}

fn slug_conflict(slug: &str) -> ApiError {
    ApiError::Conflict {
        code: "slug_taken",
        detail: format!("the slug `{slug}` is already used by another organization"),
    }
}

/// The columns a write sets from a validated body.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
struct OrganizationColumns {
    name: String,
    kind: &'static str,
    description: Option<String>,
    website: Option<String>,
    social_links: String,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    contact_public: bool,
    area_served: Option<String>,
}

fn values(w: &OrganizationWrite) -> Result<OrganizationColumns, ApiError> {
    use crate::vocab::Vocabulary;
    let contact = w.contact.clone().unwrap_or_default();
    Ok(OrganizationColumns {
        name: w.name.trim().to_owned(),
        kind: w.kind.as_str(),
        description: w.description.clone(),
        website: w.website.clone(),
        social_links: serde_json::to_string(&w.social_links).map_err(ApiError::internal)?,
        contact_email: contact.email,
        contact_phone: contact.phone,
        contact_public: contact.public,
        area_served: w.area_served.clone(),
    })
}

/// Create an organization from a validated body.
pub fn create(conn: &mut DbConnection, w: &OrganizationWrite) -> Result<OrganizationRow, ApiError> {
    crate::db::write_transaction(conn, |conn| {
        let slug = match &w.slug {
            Some(s) if slug_taken(conn, s, None)? => return Err(slug_conflict(s)),
            Some(s) => s.clone(),
            None => {
                let base = slugify(&w.name);
                let mut candidate = base.clone();
                let mut n = 2;
                while slug_taken(conn, &candidate, None)? {
                    candidate = format!("{base}-{n}");
                    n += 1;
                }
                candidate
            }
        };
        let now = Utc::now().naive_utc();
        let id = uuid::Uuid::now_v7().to_string();
        diesel::insert_into(organizations::table)
            .values((
                organizations::id.eq(&id),
                organizations::slug.eq(&slug),
                organizations::verified.eq(w.verified.unwrap_or(false)),
                organizations::created_at.eq(now),
                organizations::updated_at.eq(now),
                &values(w)?,
            ))
            .execute(conn)
            .map_err(|e| on_slug_error(e, &slug))?;
        find(conn, &id)?.ok_or_else(|| ApiError::internal("organization vanished after insert"))
    })
}

/// Find by id or by slug.
pub fn find(conn: &mut DbConnection, id_or_slug: &str) -> QueryResult<Option<OrganizationRow>> {
    // No id or slug contains NUL (and PostgreSQL refuses it in a parameter).
    if id_or_slug.contains('\0') {
        return Ok(None);
    }
    organizations::table
        .filter(
            organizations::id
                .eq(id_or_slug)
                .or(organizations::slug.eq(id_or_slug)),
        )
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()
}

/// One page (`limit + 1` rows) in id order.
pub fn list(conn: &mut DbConnection, page: &PageRequest) -> QueryResult<Vec<OrganizationRow>> {
    let mut q = organizations::table
        .select(OrganizationRow::as_select())
        .into_boxed();
    if let Some(c) = &page.cursor {
        q = q.filter(organizations::id.gt(c.after_id.clone()));
    }
    q.order(organizations::id.asc())
        .limit(page.limit as i64 + 1)
        .load(conn)
}

/// Change an organization: `change` receives the current row and values
/// and returns the validated new values. Read, change and write happen in
/// one transaction with the row locked.
pub fn update<F>(
    conn: &mut DbConnection,
    id_or_slug: &str,
    change: F,
) -> Result<OrganizationRow, ApiError>
where
    F: FnOnce(&OrganizationRow, OrganizationWrite) -> Result<OrganizationWrite, ApiError>,
{
    crate::db::write_transaction(conn, |conn| {
        let found = find(conn, id_or_slug)?.ok_or_else(|| ApiError::not_found("organization"))?;
        crate::db::lock_row(conn, "organizations", &found.id)?;
        let current = find(conn, &found.id)?.ok_or_else(|| ApiError::not_found("organization"))?;
        let w = change(&current, current.to_write()?)?;
        let slug = w.slug.clone().unwrap_or(current.slug.clone());
        if slug_taken(conn, &slug, Some(&current.id))? {
            return Err(slug_conflict(&slug));
        }
        diesel::update(organizations::table.find(&current.id))
            .set((
                organizations::slug.eq(&slug),
                organizations::verified.eq(w.verified.unwrap_or(current.verified)),
                organizations::version.eq(organizations::version + 1i64),
                organizations::updated_at.eq(Utc::now().naive_utc()),
                &values(&w)?,
            ))
            .execute(conn)
            .map_err(|e| on_slug_error(e, &slug))?;
        let summary_changed = current.name != w.name.trim()
            || current.slug != slug
            || current.verified != w.verified.unwrap_or(current.verified);
        if summary_changed {
            // Listings embed the organization's name, slug and verified flag.
            crate::changelog::record_organization_listings(conn, &current.id)?;
        }
        if current.name != w.name.trim() {
            // Keyword search finds listings by their organization's name.
            crate::search::reindex_organization(conn, &current.id)?;
        }
        find(conn, &current.id)?
            .ok_or_else(|| ApiError::internal("organization vanished after update"))
    })
}
