//! What a group search asks for: filters, keywords, a place, meeting
//! times, the order and the facets, checked and parsed from the query.
//! The SQL that answers it is `super::search`.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};
use crate::geo::Near;
use crate::search::Keywords;
use crate::vocab::*;

/// Orders of the group list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupSort {
    /// Best keyword match first (needs `q`; the default with `q`).
    Relevance,
    /// Nearest first (needs `near`; the default with `near` and no `q`).
    Distance,
    /// Soonest next meeting first; groups with no upcoming meeting last.
    NextMeeting,
    /// By name, A to Z (case-insensitive).
    Name,
    /// Most recently updated first.
    Updated,
    /// Oldest first (the default without `q` or `near`).
    Created,
}

impl GroupSort {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            GroupSort::Relevance => "relevance",
            GroupSort::Distance => "distance",
            GroupSort::NextMeeting => "next_meeting",
            GroupSort::Name => "name",
            GroupSort::Updated => "updated",
            GroupSort::Created => "created",
        }
    }
}

/// Facets an app can ask counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Topic,
    Format,
    Language,
}

impl Facet {
    pub fn parse_list(raw: Option<&str>) -> Result<Vec<Facet>, ApiError> {
        let mut out = Vec::new();
        for s in crate::extract::str_list(raw).unwrap_or_default() {
            let f = match s.as_str() {
                "topic" => Facet::Topic,
                "format" => Facet::Format,
                "language" => Facet::Language,
                _ => {
                    return Err(ApiError::InvalidQuery(FieldError {
                        field: "facets".into(),
                        message: format!("unknown facet `{s}`"),
                        allowed: Some(vec!["topic".into(), "format".into(), "language".into()]),
                    }))
                }
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    }
}

/// Facet counts: value → number of matching groups, per facet.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facets {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!({"grief": 12, "anxiety": 4}))]
    pub topic: Option<BTreeMap<String, i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!({"in_person": 9, "online": 7}))]
    pub format: Option<BTreeMap<String, i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!({"en": 15, "es": 2}))]
    pub language: Option<BTreeMap<String, i64>>,
}

/// A meeting-time filter: ISO weekdays (1 = Monday) and a window of local
/// minutes from midnight.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeetsWhen {
    pub days: Option<Vec<i64>>,
    pub from_minute: Option<i64>,
    pub to_minute: Option<i64>,
}

impl MeetsWhen {
    pub fn parse(
        day: Option<&str>,
        time_from: Option<&str>,
        time_to: Option<&str>,
    ) -> Result<Option<MeetsWhen>, ApiError> {
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let days = match crate::extract::str_list(day).filter(|d| !d.is_empty()) {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|d| {
                        DAYS.iter()
                            .position(|x| x.eq_ignore_ascii_case(d))
                            .map(|i| i as i64 + 1)
                            .ok_or_else(|| {
                                ApiError::InvalidQuery(FieldError {
                                    field: "day".into(),
                                    message: format!("unknown day `{d}`"),
                                    allowed: Some(DAYS.iter().map(|s| s.to_string()).collect()),
                                })
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let minute = |name: &str, v: Option<&str>| -> Result<Option<i64>, ApiError> {
            let Some(v) = v else { return Ok(None) };
            chrono::NaiveTime::parse_from_str(v, "%H:%M")
                .map(|t| {
                    use chrono::Timelike;
                    Some(i64::from(t.hour() * 60 + t.minute()))
                })
                .map_err(|_| {
                    ApiError::InvalidQuery(FieldError::new(
                        name,
                        "must be a local time `HH:MM`, e.g. `18:00`",
                    ))
                })
        };
        let from_minute = minute("time_from", time_from)?;
        let mut to_minute = minute("time_to", time_to)?;
        if to_minute == Some(0) && time_to.is_some() {
            // `time_to=00:00` means midnight at the end of the day.
            to_minute = Some(24 * 60);
        }
        if let (Some(f), Some(t)) = (from_minute, to_minute) {
            if f >= t {
                return Err(ApiError::InvalidQuery(FieldError::new(
                    "time_to",
                    "must be later than `time_from`",
                )));
            }
        }
        if days.is_none() && from_minute.is_none() && to_minute.is_none() {
            return Ok(None);
        }
        Ok(Some(MeetsWhen {
            days,
            from_minute,
            to_minute,
        }))
    }
}

/// Everything a group search asks for; validated.
#[derive(Debug, Clone, Default)]
pub struct GroupSearch {
    pub topics: Option<Vec<Topic>>,
    pub formats: Option<Vec<Format>>,
    pub enrollments: Option<Vec<Enrollment>>,
    pub facilitations: Option<Vec<Facilitation>>,
    pub languages: Option<Vec<String>>,
    pub stages: Option<Vec<RecoveryStage>>,
    pub support_types: Option<Vec<SupportType>>,
    pub costs: Option<Vec<CostKind>>,
    pub organizations: Option<Vec<String>>,
    pub accepting_new_members: Option<bool>,
    pub updated_since: Option<NaiveDateTime>,
    pub keywords: Option<Keywords>,
    pub near: Option<Near>,
    pub include_online: bool,
    pub meets: Option<MeetsWhen>,
    /// Cohorts starting from `.0` (today) and before `.1`.
    pub starts_between: Option<(NaiveDate, NaiveDate)>,
    pub timezone: Option<String>,
    pub sort: Option<GroupSort>,
}

impl GroupSearch {
    /// The sort in effect: as asked, or the default for the query.
    pub fn effective_sort(&self) -> Result<GroupSort, ApiError> {
        let sort = self.sort.unwrap_or(if self.keywords.is_some() {
            GroupSort::Relevance
        } else if self.near.is_some() {
            GroupSort::Distance
        } else {
            GroupSort::Created
        });
        let needs = |what: &str| {
            ApiError::InvalidQuery(FieldError::new(
                "sort",
                format!("`{}` needs `{what}`", sort.as_str()),
            ))
        };
        match sort {
            GroupSort::Relevance if self.keywords.is_none() => Err(needs("q")),
            GroupSort::Distance if self.near.is_none() => Err(needs("near")),
            _ => Ok(sort),
        }
    }
}
