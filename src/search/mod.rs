//! Discovery: keyword search, nearby search and the SQL that both backends
//! share for them. Backend-specific pieces (the full-text match and rank,
//! the distance function) sit behind one function each, matched on the
//! connection.

pub mod sql;

use diesel::expression::functions::declare_sql_function;
use diesel::sql_types::{Double, Nullable};
use diesel::RunQueryDsl;

use crate::db::DbConnection;
use crate::error::{ApiError, FieldError};
use crate::vocab::{Topic, Visibility, Vocabulary};

pub use sql::{Bind, SqlBuilder};

/// At most this many words of `q` are searched.
const MAX_WORDS: usize = 16;
/// `q` may be at most this many characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// PostgreSQL's English stop words (`english.stop`), dropped from `q` on both
/// backends so that they find the same listings.
const STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
];

/// The searchable words of a `q`: letters and digits, lowercased, without
/// English stop words. Every word must match (after English stemming); the
/// last one also matches as a prefix, for type-ahead.
#[derive(Debug, Clone, PartialEq)]
pub struct Keywords {
    words: Vec<String>,
}

impl Keywords {
    /// `None` when `q` has no searchable word (then it filters nothing).
    pub fn parse(q: &str) -> Result<Option<Keywords>, ApiError> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::InvalidQuery(FieldError::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            )));
        }
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !STOP_WORDS.contains(&w.as_str()))
            .take(MAX_WORDS)
            .collect();
        Ok((!words.is_empty()).then_some(Keywords { words }))
    }

    /// The query in the backend's syntax: an FTS5 expression on SQLite, a
    /// `to_tsquery` text on PostgreSQL. Words hold only letters and digits,
    /// so neither syntax can be escaped from.
    pub fn expression(&self, pg: bool) -> String {
        let last = self.words.len() - 1;
        match pg {
            false => self
                .words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last {
                        format!("\"{w}\"*")
                    } else {
                        format!("\"{w}\"")
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            true => self
                .words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == last {
                        format!("{w}:*")
                    } else {
                        w.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" & "),
        }
    }
}

/// Which listing table a full-text search runs on.
#[derive(Debug, Clone, Copy)]
pub enum Indexed {
    Groups,
    Events,
    Resources,
}

impl Indexed {
    fn fts_table(self) -> &'static str {
        match self {
            Indexed::Groups => "group_fts",
            Indexed::Events => "event_fts",
            Indexed::Resources => "resource_fts",
        }
    }

    /// Column weights for SQLite's `bm25`, in the FTS table's column order.
    fn weights(self) -> &'static str {
        match self {
            Indexed::Groups | Indexed::Events => "10.0, 4.0, 1.0, 4.0, 2.0",
            Indexed::Resources => "10.0, 4.0, 4.0, 2.0",
        }
    }
}

/// The full-text part of a listing query, for a table aliased `alias`: a
/// join to add after `FROM`, a condition, and the rank expression (lower is
/// better) to order by. One function for both backends.
pub struct FullText {
    pub join: String,
    pub condition: String,
    pub rank: String,
}

pub fn full_text(b: &mut SqlBuilder, table: Indexed, alias: &str, k: &Keywords) -> FullText {
    let expr = k.expression(b.is_pg());
    let p = b.param(Bind::Text(expr));
    if b.is_pg() {
        FullText {
            join: String::new(),
            condition: format!("{alias}.search_vector @@ to_tsquery('english', {p})"),
            rank: format!("(-ts_rank({alias}.search_vector, to_tsquery('english', {p}))::float8)"),
        }
    } else {
        let fts = table.fts_table();
        FullText {
            join: format!(" JOIN {fts} ON {fts}.rowid = {alias}.search_rowid"),
            condition: format!("{fts} MATCH {p}"),
            rank: format!("bm25({fts}, {})", table.weights()),
        }
    }
}

/// Relevance tiers of a keyword search on groups, best first: every word in
/// the name (3); every word in the name, topic labels or summary (2); every
/// word somewhere, the description and the organization's name included (1).
pub const TIERS: [i64; 3] = [3, 2, 1];

/// The full-text part of a group query that keeps only the matches of one
/// relevance tier (see [`TIERS`]), for `support_groups` aliased `g`: the
/// `FROM` clause (on SQLite the full-text table comes first and drives the
/// query: probing FTS5 per group would re-run the match for every probe),
/// the condition, and the order within the tier (the order groups were
/// listed, `search_rowid`, which FTS5 walks without sorting). Reading a tier
/// stops at the page's end, so the cost no longer grows with the number of
/// matches the way scoring every match (bm25, `ts_rank`) did.
pub struct Tier {
    pub from: String,
    pub condition: String,
    pub order: String,
}

/// `tier` `None` keeps every match (for the other sorts, totals and facets).
pub fn full_text_tier(b: &mut SqlBuilder, k: &Keywords, tier: Option<i64>) -> Tier {
    if b.is_pg() {
        // `ts_filter` keeps the name's lexemes (weight A), or the name's,
        // summary's and topics' (A, B); each has its own GIN index, whose
        // statistics tell the planner how rare a tier's words are.
        let p = b.param(Bind::Text(k.expression(true)));
        let q = format!("to_tsquery('english', {p})");
        let name = format!("ts_filter(g.search_vector, '{{a}}') @@ {q}");
        let head = format!("ts_filter(g.search_vector, '{{a,b}}') @@ {q}");
        let all = format!("g.search_vector @@ {q}");
        let condition = match tier {
            None => all,
            Some(3) => name,
            Some(2) => format!("{head} AND NOT {name}"),
            Some(_) => format!("{all} AND NOT {head}"),
        };
        Tier {
            from: "support_groups g".into(),
            condition,
            order: "g.search_rowid".into(),
        }
    } else {
        let e = k.expression(false);
        let name = format!("{{name}} : ({e})");
        let head = format!("{{name summary topics}} : ({e})");
        let query = match tier {
            None => {
                // Every match, for a query driven by another index (a sort,
                // `near`) or counting: FTS5 lists the matching rowids once,
                // cheaply, and each candidate group is probed in that list.
                let p = b.param(Bind::Text(e));
                return Tier {
                    from: "support_groups g".into(),
                    condition: format!(
                        "g.search_rowid IN (SELECT rowid FROM group_fts WHERE group_fts MATCH {p})"
                    ),
                    order: "g.search_rowid".into(),
                };
            }
            Some(3) => name,
            Some(2) => format!("({head}) NOT ({name})"),
            Some(_) => format!("({e}) NOT ({head})"),
        };
        let p = b.param(Bind::Text(query));
        Tier {
            from: "group_fts CROSS JOIN support_groups g ON g.search_rowid = group_fts.rowid"
                .into(),
            condition: format!("group_fts MATCH {p}"),
            order: "group_fts.rowid".into(),
        }
    }
}

/// Vocabulary values as bound parameters.
pub fn binds<V: Vocabulary>(v: &[V]) -> impl Iterator<Item = Bind> + '_ {
    v.iter().map(|x| Bind::Text(x.as_str().to_owned()))
}

/// "Belongs to one of these organizations (ids or slugs)", for a listing
/// table aliased `alias`.
pub fn organization_condition(b: &mut SqlBuilder, alias: &str, orgs: &[String]) -> String {
    let ids = b.in_list(orgs.iter().cloned().map(Bind::Text));
    let slugs = b.in_list(orgs.iter().cloned().map(Bind::Text));
    format!(
        "{alias}.organization_id IN (SELECT id FROM organizations WHERE id {ids} OR slug {slugs})"
    )
}

/// Re-index an organization's listings after its name changed (touching
/// `search_topics` fires the full-text triggers).
pub fn reindex_organization(conn: &mut DbConnection, org: &str) -> diesel::QueryResult<()> {
    for table in ["support_groups", "events", "resources"] {
        let mut b = SqlBuilder::new(conn);
        let p = b.param(Bind::Text(org.to_owned()));
        b.push(&format!(
            "UPDATE {table} SET search_topics = search_topics WHERE organization_id = {p} AND deleted_at IS NULL"
        ));
        b.execute(conn)?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct TopicRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    topic: String,
}

/// Fill in `search_topics` of events and resources written before it
/// existed (groups get theirs from `refresh_derived`). Returns how many.
pub fn backfill_topics(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let mut n = 0;
    for (table, topics, key) in [
        ("events", "event_topics", "event_id"),
        ("resources", "resource_topics", "resource_id"),
    ] {
        let rows: Vec<TopicRow> = diesel::sql_query(format!(
            "SELECT t.{key} AS id, t.topic AS topic FROM {topics} t JOIN {table} x ON x.id = t.{key} \
             WHERE x.search_topics IS NULL ORDER BY t.{key}, t.topic"
        ))
        .load(conn)?;
        let mut by_id: std::collections::BTreeMap<String, Vec<Topic>> = Default::default();
        for r in rows {
            let t = Topic::parse(&r.topic).map_err(ApiError::internal)?;
            by_id.entry(r.id).or_default().push(t);
        }
        for (id, list) in by_id {
            let mut b = SqlBuilder::new(conn);
            let labels = b.param(Bind::Text(topic_labels(&list).unwrap_or_default()));
            let id = b.param(Bind::Text(id));
            b.push(&format!(
                "UPDATE {table} SET search_topics = {labels} WHERE id = {id}"
            ));
            b.execute(conn)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Topic labels, as the full-text index sees a listing's topics.
pub fn topic_labels(topics: &[Topic]) -> Option<String> {
    (!topics.is_empty()).then(|| {
        topics
            .iter()
            .map(|t| t.label())
            .collect::<Vec<_>>()
            .join(", ")
    })
}

// --- Geography ---------------------------------------------------------------

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
    fn keywords_drop_stop_words_and_punctuation() {
        let k = Keywords::parse("A grief group, for widows!")
            .unwrap()
            .unwrap();
        assert_eq!(k.words, vec!["grief", "group", "widows"]);
        assert!(Keywords::parse("the of ...").unwrap().is_none());
        assert!(Keywords::parse(&"x".repeat(201)).is_err());
        let k = Keywords::parse("Ünïcode \"quote\" OR NEAR")
            .unwrap()
            .unwrap();
        assert_eq!(k.words, vec!["ünïcode", "quote", "near"]);
    }

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
