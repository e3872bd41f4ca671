//! Request and response types of organizations and their API clients.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validate::Checks;
use crate::vocab::OrganizationKind;

/// A link to one of the organization's social accounts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SocialLink {
    /// Platform name, e.g. `instagram`, `facebook`, `tumblr`.
    #[schema(example = "instagram")]
    #[schema(min_length = 1, max_length = 50, pattern = "circles:text")]
    pub platform: String,
    #[schema(example = "https://instagram.com/friendsofash")]
    pub url: String,
}

/// How to reach the organization. Shown publicly only when `public` is true.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct OrganizationContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "hello@friendsofash.org")]
    pub email: Option<String>,
    /// An international phone number that libphonenumber holds valid, with
    /// `+` and the country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "+44 20 7946 0000")]
    pub phone: Option<String>,
    /// Whether these details may be shown to the public.
    #[serde(default)]
    pub public: bool,
}

/// An organization as written by an administrator (create) or by itself
/// (`PATCH`, merge-patched onto the current values).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Friends of Ash", "kind": "peer_led", "description": "Peer support circles in north London.",
    "website": "https://friendsofash.org", "social_links": [{"platform": "instagram", "url": "https://instagram.com/friendsofash"}],
    "contact": {"email": "hello@friendsofash.org", "public": true}, "area_served": "London, UK"}))]
pub struct OrganizationWrite {
    /// Display name.
    #[schema(min_length = 1, max_length = 200, pattern = "circles:line")]
    pub name: String,
    /// URL-friendly identifier (lower-case letters, digits and dashes);
    /// derived from the name when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    pub kind: OrganizationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 5000, pattern = "circles:text")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default)]
    pub social_links: Vec<SocialLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<OrganizationContact>,
    /// Where the organization works, in words (e.g. `Greater Manchester`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 500, pattern = "circles:text")]
    pub area_served: Option<String>,
    /// Set by administrators only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

pub fn is_valid_slug(s: &str) -> bool {
    (2..=80).contains(&s.len())
        && s.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Derive a slug from a name: lower-case ASCII letters and digits joined by dashes.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut slug: String = out.trim_end_matches('-').chars().take(60).collect();
    slug = slug.trim_end_matches('-').to_owned();
    if slug.len() < 2 {
        slug = format!("org-{}", &uuid::Uuid::now_v7().simple().to_string()[..8]);
    }
    slug
}

impl OrganizationWrite {
    pub fn validate(&self) -> Result<(), crate::error::ApiError> {
        let mut c = Checks::new();
        c.line("name", &self.name, 1, 200);
        if let Some(slug) = &self.slug {
            if !is_valid_slug(slug) {
                c.fail(
                    "slug",
                    "must be 2 to 80 lower-case letters, digits and single dashes",
                );
            }
        }
        c.opt_text("description", self.description.as_deref(), 5000);
        c.url("website", self.website.as_deref());
        if self.social_links.len() > 20 {
            c.fail("social_links", "must have at most 20 items");
        }
        for (i, l) in self.social_links.iter().enumerate() {
            c.text(&format!("social_links[{i}].platform"), &l.platform, 1, 50);
            c.url(&format!("social_links[{i}].url"), Some(&l.url));
        }
        if let Some(contact) = &self.contact {
            c.email("contact.email", contact.email.as_deref());
            // An organization has no country to read a national number in.
            c.phone("contact.phone", contact.phone.as_deref(), None);
        }
        c.opt_text("area_served", self.area_served.as_deref(), 500);
        c.finish()
    }
}

/// A partner organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f00", "slug": "friends-of-ash", "name": "Friends of Ash", "kind": "peer_led",
    "description": "Peer support circles in north London.", "website": "https://friendsofash.org",
    "social_links": [{"platform": "instagram", "url": "https://instagram.com/friendsofash"}],
    "contact": {"email": "hello@friendsofash.org", "public": true}, "area_served": "London, UK", "verified": true,
    "created_at": "2026-11-24T10:00:00Z", "updated_at": "2026-11-24T10:00:00Z"}))]
pub struct OrganizationResponse {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: OrganizationKind,
    pub description: Option<String>,
    pub website: Option<String>,
    pub social_links: Vec<SocialLink>,
    /// Present when the organization made it public, or for its own tokens.
    pub contact: Option<OrganizationContact>,
    pub area_served: Option<String>,
    /// Whether an administrator has verified this organization.
    pub verified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of organizations.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationPage {
    pub data: Vec<OrganizationResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Options of a new API client.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    /// Grant the `admin` scope (manage organizations and clients).
    #[serde(default)]
    pub admin: bool,
}

/// A new credential. The secret is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"client_id": "cl_0193a5b0c0de7c3a9d2f1e4b5a6c7d8e", "client_secret": "kq3V1u0xJ9m4…", "organization_id": "0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f00", "admin": false, "created_at": "2026-11-24T10:00:00Z"}))]
pub struct ClientCredentials {
    pub client_id: String,
    /// Store it safely: it cannot be shown again.
    pub client_secret: String,
    pub organization_id: String,
    pub admin: bool,
    pub created_at: DateTime<Utc>,
}

/// An API client, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientResponse {
    pub client_id: String,
    pub organization_id: String,
    pub admin: bool,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<crate::auth::clients::ApiClient> for ClientResponse {
    fn from(c: crate::auth::clients::ApiClient) -> Self {
        ClientResponse {
            client_id: c.id,
            organization_id: c.organization_id,
            admin: c.is_admin,
            created_at: c.created_at.and_utc(),
            revoked_at: c.revoked_at.map(|t| t.and_utc()),
        }
    }
}

/// The list of an organization's clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    pub data: Vec<ClientResponse>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Friends of A.S.H. — London!"),
            "friends-of-a-s-h-london"
        );
        assert!(is_valid_slug(&slugify("Ω")));
        assert!(!is_valid_slug("Bad Slug"));
        assert!(!is_valid_slug("a--b"));
    }
}
