//! Geography: great-circle distances, where the public directory places a
//! listing (never at a hidden street), and `near` points with their radius.
//! The same distance function runs in SQL on both backends.

use diesel::expression::functions::declare_sql_function;
use diesel::sql_types::{Double, Nullable};

use crate::error::{ApiError, FieldError};
use crate::vocab::{Visibility, Vocabulary};

/// Mean Earth radius (km), as used by the distance function on both backends.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
/// Size of the area cells (degrees) that hide an `area_only` or `on_request`
/// place: such a group is placed at the centre of its cell, never at its
/// street.
pub const AREA_CELL_DEGREES: f64 = 0.1;
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 500.0;

/// Great-circle distance in km (haversine). PostgreSQL's
/// `circles_distance_km` (migration 000005) is the same formula.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let dlat = (lat2 - lat1).to_radians() / 2.0;
    let dlon = (lon2 - lon1).to_radians() / 2.0;
    let h = dlat.sin() * dlat.sin()
        + lat1.to_radians().cos() * lat2.to_radians().cos() * dlon.sin() * dlon.sin();
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[declare_sql_function]
extern "SQL" {
    fn circles_distance_km(
        lat1: Nullable<Double>,
        lon1: Nullable<Double>,
        lat2: Nullable<Double>,
        lon2: Nullable<Double>,
    ) -> Nullable<Double>;
}

/// Register `circles_distance_km` on a SQLite connection (PostgreSQL has it
/// from its migration).
pub fn register_sqlite_functions(conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
    circles_distance_km_utils::register_impl(
        conn,
        |a: Option<f64>, b: Option<f64>, c: Option<f64>, d: Option<f64>| match (a, b, c, d) {
            (Some(a), Some(b), Some(c), Some(d)) => Some(distance_km(a, b, c, d)),
            _ => None,
        },
    )
}

/// Where the public directory places a listing: exactly for a `public`
/// location; at the centre of its area cell otherwise.
pub fn placement(visibility: Visibility, lat: f64, lon: f64) -> (f64, f64) {
    match visibility {
        Visibility::Public => (lat, lon),
        Visibility::AreaOnly | Visibility::OnRequest => {
            let centre = |x: f64| ((x / AREA_CELL_DEGREES).floor() + 0.5) * AREA_CELL_DEGREES;
            (centre(lat).clamp(-90.0, 90.0), centre(lon))
        }
    }
}

/// The distance shown to the public: to 0.1 km, and to the whole km (at
/// least 1) for an `on_request` place.
pub fn shown_distance(km: f64, visibility: Option<&str>) -> f64 {
    if visibility == Some(Visibility::OnRequest.as_str()) {
        km.round().max(1.0)
    } else {
        (km * 10.0).round() / 10.0
    }
}

/// A validated `near` point with its radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

impl Near {
    pub fn parse(near: &str, radius_km: Option<f64>) -> Result<Near, ApiError> {
        let bad = |m: &str| ApiError::InvalidQuery(FieldError::new("near", m.to_owned()));
        let (lat, lon) = near
            .split_once(',')
            .ok_or_else(|| bad("must be `<latitude>,<longitude>`, e.g. `51.5074,-0.1278`"))?;
        let lat: f64 = lat
            .trim()
            .parse()
            .map_err(|_| bad("the latitude is not a number"))?;
        let lon: f64 = lon
            .trim()
            .parse()
            .map_err(|_| bad("the longitude is not a number"))?;
        if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
            return Err(bad("the latitude must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
            return Err(bad("the longitude must be between -180 and 180"));
        }
        let radius_km = radius_km.unwrap_or(DEFAULT_RADIUS_KM);
        if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
            return Err(ApiError::InvalidQuery(FieldError::new(
                "radius_km",
                format!("must be more than 0 and at most {MAX_RADIUS_KM}"),
            )));
        }
        Ok(Near {
            lat,
            lon,
            radius_km,
        })
    }

    /// A box (min lat, max lat, lon ranges) that holds every point within
    /// the radius, slightly widened; the exact distance is checked after it.
    pub fn bounding_box(&self) -> (f64, f64, Vec<(f64, f64)>) {
        let km_per_degree = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
        let dlat = self.radius_km / km_per_degree * 1.01;
        let (lo, hi) = (self.lat - dlat, self.lat + dlat);
        if lo <= -90.0 || hi >= 90.0 {
            return (lo.max(-90.0), hi.min(90.0), vec![(-180.0, 180.0)]);
        }
        let widest = lo.abs().max(hi.abs()).to_radians().cos();
        let dlon = self.radius_km / (km_per_degree * widest) * 1.01;
        if dlon >= 180.0 {
            return (lo, hi, vec![(-180.0, 180.0)]);
        }
        let (w, e) = (self.lon - dlon, self.lon + dlon);
        let lons = if w < -180.0 {
            vec![(w + 360.0, 180.0), (-180.0, e)]
        } else if e > 180.0 {
            vec![(w, 180.0), (-180.0, e - 360.0)]
        } else {
            vec![(w, e)]
        };
        (lo, hi, lons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_placement() {
        // London to Paris is about 344 km.
        let d = distance_km(51.5074, -0.1278, 48.8566, 2.3522);
        assert!((d - 343.9).abs() < 1.0, "{d}");
        assert_eq!(distance_km(10.0, 10.0, 10.0, 10.0), 0.0);
        let (lat, lon) = placement(Visibility::AreaOnly, 51.5362, -0.1034);
        assert!((lat - 51.55).abs() < 1e-9 && (lon - -0.15).abs() < 1e-9);
        assert_eq!(placement(Visibility::Public, 1.25, 2.5), (1.25, 2.5));
        assert_eq!(shown_distance(0.26, Some("on_request")), 1.0);
        assert_eq!(shown_distance(3.46, Some("on_request")), 3.0);
        assert_eq!(shown_distance(3.46, Some("public")), 3.5);
    }

    #[test]
    fn bounding_box_holds_the_circle() {
        let n = Near::parse("51.5,179.9", Some(50.0)).unwrap();
        let (lo, hi, lons) = n.bounding_box();
        assert!(lo < 51.5 && hi > 51.5);
        assert_eq!(lons.len(), 2);
        assert!(Near::parse("91,0", None).is_err());
        assert!(Near::parse("0,0", Some(501.0)).is_err());
        assert!(Near::parse("0,0", Some(0.0)).is_err());
        assert!(Near::parse("nope", None).is_err());
        assert_eq!(Near::parse("1, 2", None).unwrap().radius_km, 25.0);
    }
}
