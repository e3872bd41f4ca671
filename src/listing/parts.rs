//! Parts shared by every kind of listing: cost, place, online details, their
//! checks, the organization behind a listing, and what the public may see of
//! them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validate::Checks;
use crate::vocab::*;

/// What taking part costs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    pub kind: CostKind,
    /// Decimal amount, for `paid` (required) and `sliding_scale` (optional).
    #[serde(default)]
    #[schema(example = "5.00", pattern = r"^\d{1,7}(\.\d{1,2})?$")]
    pub amount: Option<String>,
    /// ISO 4217 currency code, with `amount`.
    #[serde(default)]
    #[schema(example = "GBP", pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
}

impl Default for Cost {
    fn default() -> Self {
        Cost {
            kind: CostKind::Free,
            amount: None,
            currency: None,
        }
    }
}

fn valid_amount(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    (1..=7).contains(&int.len())
        && int.chars().all(|c| c.is_ascii_digit())
        && (!s.contains('.') || (1..=2).contains(&frac.len()))
        && frac.chars().all(|c| c.is_ascii_digit())
}

impl Cost {
    /// Check amount and currency against the kind.
    pub fn check(&self, c: &mut Checks) {
        match (self.kind, &self.amount, &self.currency) {
            (CostKind::Paid, None, _) => c.fail("cost.amount", "is required when `kind` is `paid`"),
            (CostKind::Free | CostKind::Donation, Some(_), _) => {
                c.fail("cost.amount", "is only for `paid` and `sliding_scale`")
            }
            (_, Some(_), None) => c.fail("cost.currency", "is required with `amount`"),
            (_, None, Some(_)) => c.fail("cost.currency", "is only allowed with `amount`"),
            _ => {}
        }
        if let Some(a) = &self.amount {
            if !valid_amount(a) {
                c.fail("cost.amount", "must be a decimal such as `5` or `12.50`");
            }
        }
        if let Some(cur) = &self.currency {
            if !(cur.len() == 3 && cur.chars().all(|ch| ch.is_ascii_uppercase())) {
                c.fail("cost.currency", "must be an ISO 4217 code such as `GBP`");
            }
        }
    }
}

/// Where an in-person or hybrid listing takes place, and who may see it.
///
/// With `area_only`, the public sees the locality, region and country only;
/// with `on_request`, nothing but the visibility itself.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Who may see the address; `area_only` unless set.
    #[serde(default = "default_location_visibility")]
    pub visibility: Visibility,
    /// Name of the venue.
    #[serde(default)]
    #[schema(example = "St Anne's community hall")]
    #[schema(min_length = 1, max_length = 200, pattern = "circles:text")]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(example = "12 Cedar Road")]
    #[schema(min_length = 1, max_length = 300, pattern = "circles:text")]
    pub street_address: Option<String>,
    /// Town or city; required when writing.
    #[serde(default)]
    #[schema(example = "London")]
    #[schema(min_length = 1, max_length = 200, pattern = "circles:text")]
    pub locality: Option<String>,
    #[serde(default)]
    #[schema(example = "Greater London")]
    #[schema(min_length = 1, max_length = 200, pattern = "circles:text")]
    pub region: Option<String>,
    #[serde(default)]
    #[schema(example = "N1 7AA")]
    #[schema(min_length = 1, max_length = 20, pattern = "circles:text")]
    pub postal_code: Option<String>,
    /// Assigned ISO 3166-1 alpha-2 code, upper case; required when writing.
    #[serde(default)]
    #[schema(example = "GB")]
    pub country: Option<String>,
    #[serde(default)]
    #[schema(example = 51.5362, minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[serde(default)]
    #[schema(example = -0.1034, minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

fn default_location_visibility() -> Visibility {
    Visibility::AreaOnly
}

fn default_join_visibility() -> Visibility {
    Visibility::OnRequest
}

/// How to join an online or hybrid listing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OnlineDetails {
    /// E.g. `Zoom`, `Jitsi`, `Discord`.
    #[serde(default)]
    #[schema(example = "Jitsi")]
    #[schema(min_length = 1, max_length = 100, pattern = "circles:text")]
    pub platform: Option<String>,
    /// Link to join; hidden from the public unless `join_url_visibility` is `public`.
    #[serde(default)]
    #[schema(example = "https://meet.jit.si/circles-grief-tuesday")]
    pub join_url: Option<String>,
    /// Who may see the join link; `on_request` unless set.
    #[serde(default = "default_join_visibility")]
    pub join_url_visibility: Visibility,
    /// Public instructions, e.g. how to ask for the link.
    #[serde(default)]
    #[schema(example = "Email us and we'll send the link before the session.")]
    #[schema(min_length = 1, max_length = 2000, pattern = "circles:text")]
    pub instructions: Option<String>,
}

/// Check the location and online details a format needs; `what` names the
/// kind of listing in messages (e.g. `groups`).
pub fn check_place(
    c: &mut Checks,
    format: Format,
    location: Option<&Location>,
    online: Option<&OnlineDetails>,
    what: &str,
) {
    let needs_location = matches!(format, Format::InPerson | Format::Hybrid);
    let needs_online = matches!(format, Format::Online | Format::Hybrid);
    match location {
        None if needs_location => c.fail(
            "location",
            format!("is required for `in_person` and `hybrid` {what}"),
        ),
        None => {}
        Some(l) => {
            c.opt_text("location.name", l.name.as_deref(), 200);
            c.opt_text("location.street_address", l.street_address.as_deref(), 300);
            match &l.locality {
                None => c.fail("location.locality", "is required"),
                Some(v) => c.text("location.locality", v, 1, 200),
            }
            c.opt_text("location.region", l.region.as_deref(), 200);
            c.opt_text("location.postal_code", l.postal_code.as_deref(), 20);
            if l.country.is_none() {
                c.fail("location.country", "is required");
            }
            c.country("location.country", l.country.as_deref());
            match (l.latitude, l.longitude) {
                (Some(lat), Some(lon)) => {
                    if !(-90.0..=90.0).contains(&lat) {
                        c.fail("location.latitude", "must be between -90 and 90");
                    }
                    if !(-180.0..=180.0).contains(&lon) {
                        c.fail("location.longitude", "must be between -180 and 180");
                    }
                }
                (None, None) => {}
                _ => c.fail("location", "`latitude` and `longitude` go together"),
            }
        }
    }
    match online {
        None if needs_online => c.fail(
            "online",
            format!("is required for `online` and `hybrid` {what}"),
        ),
        None => {}
        Some(o) => {
            c.opt_text("online.platform", o.platform.as_deref(), 100);
            c.url("online.join_url", o.join_url.as_deref());
            c.opt_text("online.instructions", o.instructions.as_deref(), 2000);
        }
    }
}

/// Stored location columns, in table order.
pub struct LocationColumns<'a> {
    pub visibility: Option<&'a str>,
    pub name: Option<&'a String>,
    pub street_address: Option<&'a String>,
    pub locality: Option<&'a String>,
    pub region: Option<&'a String>,
    pub postal_code: Option<&'a String>,
    pub country: Option<&'a String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl LocationColumns<'_> {
    /// The location, when one is stored.
    pub fn to_location(&self) -> Result<Option<Location>, crate::error::ApiError> {
        let Some(v) = self.visibility else {
            return Ok(None);
        };
        Ok(Some(Location {
            visibility: Visibility::parse(v).map_err(crate::error::ApiError::internal)?,
            name: self.name.cloned(),
            street_address: self.street_address.cloned(),
            locality: self.locality.cloned(),
            region: self.region.cloned(),
            postal_code: self.postal_code.cloned(),
            country: self.country.cloned(),
            latitude: self.latitude,
            longitude: self.longitude,
        }))
    }
}

/// Online details from stored columns (visibility, platform, url, instructions).
pub fn online_from_columns(
    visibility: Option<&str>,
    platform: Option<&String>,
    join_url: Option<&String>,
    instructions: Option<&String>,
) -> Result<Option<OnlineDetails>, crate::error::ApiError> {
    let Some(v) = visibility else { return Ok(None) };
    Ok(Some(OnlineDetails {
        platform: platform.cloned(),
        join_url: join_url.cloned(),
        join_url_visibility: Visibility::parse(v).map_err(crate::error::ApiError::internal)?,
        instructions: instructions.cloned(),
    }))
}

/// The organization behind a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganizationSummary {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub verified: bool,
}

/// Hide what the public may not see of a location.
pub fn public_location(l: &Location) -> Location {
    match l.visibility {
        Visibility::Public => l.clone(),
        Visibility::AreaOnly => Location {
            visibility: Visibility::AreaOnly,
            name: None,
            street_address: None,
            locality: l.locality.clone(),
            region: l.region.clone(),
            postal_code: None,
            country: l.country.clone(),
            latitude: None,
            longitude: None,
        },
        Visibility::OnRequest => Location {
            visibility: Visibility::OnRequest,
            name: None,
            street_address: None,
            locality: None,
            region: None,
            postal_code: None,
            country: None,
            latitude: None,
            longitude: None,
        },
    }
}

/// Hide a join link that is not public.
pub fn public_online(o: &OnlineDetails) -> OnlineDetails {
    let mut o = o.clone();
    if o.join_url_visibility != Visibility::Public {
        o.join_url = None;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        for ok in ["5", "12.50", "0.5", "1234567"] {
            assert!(valid_amount(ok), "{ok}");
        }
        for bad in ["", ".5", "5.", "1.234", "-1", "1e3", "12345678"] {
            assert!(!valid_amount(bad), "{bad}");
        }
    }
}
