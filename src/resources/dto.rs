//! Request and response types of resources.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::validate::{normalize_languages, Checks};
use crate::vocab::*;

pub use crate::listing::OrganizationSummary;

/// A resource as written by its organization (`POST`, `PUT`, and the base
/// that `PATCH` merges onto).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_id": "samaritans-uk",
    "name": "Samaritans",
    "url": "https://www.samaritans.org/",
    "kind": "hotline",
    "summary": "Round-the-clock listening for anyone who is struggling to cope, free from any phone in the UK and Ireland.",
    "topics": ["depression", "self_harm", "general"],
    "languages": ["en"],
    "crisis": true,
    "phone": "116 123",
    "country": "GB",
    "status": "published"
}))]
pub struct ResourceWrite {
    /// Your own identifier for this resource (unique within your organization).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "circles:text")]
    pub external_id: Option<String>,
    #[schema(example = "Samaritans")]
    #[schema(min_length = 1, max_length = 200, pattern = "circles:line")]
    pub name: String,
    /// Where the resource lives: an absolute `http` or `https` URL.
    #[schema(example = "https://www.samaritans.org/")]
    pub url: String,
    pub kind: ResourceKind,
    /// One or two sentences shown in lists.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 1000, pattern = "circles:text")]
    pub summary: Option<String>,
    /// What the resource is about; may be empty.
    #[serde(default)]
    pub topics: Vec<Topic>,
    /// BCP 47 language tags of the resource's content: real languages (ISO
    /// 639), with registered subtags (`en`, `pt-BR`, `zh-Hant`).
    #[serde(default)]
    #[schema(example = json!(["en"]))]
    pub languages: Vec<String>,
    /// Whether this is a crisis line or crisis service; crisis resources are
    /// listed first. `false` unless set.
    #[serde(default)]
    pub crisis: bool,
    /// Phone number of a helpline, valid by libphonenumber: international,
    /// with `+` and the country code, or national for `country`; or a short
    /// code of 3 to 6 digits dialled in `country` (`116 123`, `988`).
    #[serde(default)]
    #[schema(example = "116 123")]
    pub phone: Option<String>,
    /// Assigned ISO 3166-1 alpha-2 code, upper case, of the country the
    /// resource serves (e.g. the country a helpline can be called from);
    /// `null` means anywhere.
    #[serde(default)]
    #[schema(example = "GB", pattern = "^[A-Z]{2}$")]
    pub country: Option<String>,
    /// `draft` unless set; only `published` resources are public.
    #[serde(default = "default_status")]
    pub status: ListingStatus,
}

fn default_status() -> ListingStatus {
    ListingStatus::Draft
}

impl ResourceWrite {
    /// Check every field; normalizes language tags and de-duplicates lists.
    pub fn validate(&mut self) -> Result<(), ApiError> {
        let mut c = Checks::new();
        if let Some(e) = &self.external_id {
            c.text("external_id", e, 1, 200);
        }
        c.line("name", &self.name, 1, 200);
        c.url("url", Some(&self.url));
        c.opt_text("summary", self.summary.as_deref(), 1000);
        for (i, l) in self.languages.iter().enumerate() {
            c.language(&format!("languages[{i}]"), l);
        }
        c.helpline("phone", self.phone.as_deref(), self.country.as_deref());
        c.country("country", self.country.as_deref());
        c.finish()?;
        normalize_languages(&mut self.languages);
        self.topics.sort();
        self.topics.dedup();
        self.name = self.name.trim().to_owned();
        Ok(())
    }
}

/// A resource as the public (or its own organization) sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResourceResponse {
    pub id: String,
    pub organization: OrganizationSummary,
    pub external_id: Option<String>,
    pub name: String,
    pub url: String,
    pub kind: ResourceKind,
    pub summary: Option<String>,
    pub topics: Vec<Topic>,
    pub languages: Vec<String>,
    /// Whether this is a crisis line or crisis service.
    pub crisis: bool,
    pub phone: Option<String>,
    /// The country the resource serves; `null` means anywhere.
    pub country: Option<String>,
    pub status: ListingStatus,
    /// Grows by one with every change.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of resources.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourcePage {
    pub data: Vec<ResourceResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
