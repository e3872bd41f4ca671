//! Sample data: `circles seed --synthetic N [--seed S]` (a large,
//! deterministic, realistic directory for load and search work) and
//! `circles seed --demo` (a small hand-written directory for a first look).
//!
//! Every write goes through the domain's own insert functions (the same the
//! HTTP handlers and the bulk sync use), inside batched write transactions,
//! after the same validation the handlers run, so seeded data gets whatever
//! those functions derive (change log, search data) and is always valid.

pub mod demo;
pub mod places;
pub mod synthetic;
pub mod words;

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::ApiError;

/// The day synthetic and demo dates are laid out around (a Monday): cohorts
/// and events fall from a few months before it to about a year after, so
/// the content does not depend on the day the command runs.
pub fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("a valid date")
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{0}")]
    AlreadySeeded(String),
    /// A generated item failed the handlers' validation: a bug in the generator.
    #[error("generated an invalid {what} ({which}): {detail}")]
    Invalid {
        what: &'static str,
        which: String,
        detail: String,
    },
    #[error("{0}")]
    Write(#[from] ApiError),
}

impl From<diesel::result::Error> for SeedError {
    fn from(e: diesel::result::Error) -> Self {
        SeedError::Write(e.into())
    }
}

/// Turn a failed validation into a hard error naming every failing field.
pub fn expect_valid<T>(
    what: &'static str,
    which: &str,
    result: Result<T, ApiError>,
) -> Result<T, SeedError> {
    result.map_err(|e| SeedError::Invalid {
        what,
        which: which.to_owned(),
        detail: match &e {
            ApiError::Validation(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        },
    })
}

/// What a run wrote; printed as JSON.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub organizations: u64,
    pub groups: u64,
    /// Groups left in `draft`.
    pub drafts: u64,
    pub events: u64,
    pub resources: u64,
    pub crisis_resources: u64,
    pub elapsed_seconds: f64,
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.organizations += o.organizations;
        self.groups += o.groups;
        self.drafts += o.drafts;
        self.events += o.events;
        self.resources += o.resources;
        self.crisis_resources += o.crisis_resources;
    }
}
