//! The public group search: filters, keywords, nearby, meeting times, sorts
//! with keyset cursors, totals and facet counts, as one SQL query per need
//! over both backends. Every filter has an index (see the migrations and
//! `tests/api/groups/search/query_plans.rs`, which checks the plans).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel::QueryableByName;

pub use super::filters::*;
use super::queries::GroupRow;
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::geo::Near;
use crate::pagination::{invalid_cursor, Cursor, PageRequest};
use crate::search::{binds, full_text_tier, organization_condition, Bind, SqlBuilder, TIERS};

/// One result row: the group, its distance (with `near`), its relevance
/// tier (sorted by relevance; see [`TIERS`]) and its place in the order
/// groups were listed (`search_rowid`, the order within a tier).
#[derive(Debug, QueryableByName)]
pub struct Hit {
    #[diesel(embed)]
    pub group: GroupRow,
    #[diesel(sql_type = Nullable<Double>)]
    pub distance: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub tier: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub listed: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ValueCount {
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Large enough to sort groups with no distance (online ones) after all others.
const NO_DISTANCE: f64 = 1.0e9;

/// The parts of a search query that every statement shares.
struct Parts {
    from: String,
    /// The listing order (`search_rowid`) as the query can best walk it.
    listed: String,
    conditions: Vec<String>,
    distance: Option<String>,
}

/// `tier`: with `q`, keep only the matches of this relevance tier (`None`:
/// every match). `counting`: for a statement that reads every match (totals,
/// facets) rather than a page.
fn parts(b: &mut SqlBuilder, s: &GroupSearch, tier: Option<i64>, counting: bool) -> Parts {
    let mut c = vec![
        "g.status = 'published'".to_owned(),
        "g.deleted_at IS NULL".to_owned(),
    ];
    let mut from = "support_groups g".to_owned();
    let mut listed = "g.search_rowid".to_owned();
    if let Some(k) = &s.keywords {
        let ft = full_text_tier(b, k, tier);
        from = ft.from;
        listed = ft.order;
        c.push(ft.condition);
    }
    let sub = |b: &mut SqlBuilder, table: &str, col: &str, vals: Vec<Bind>| {
        let list = b.in_list(vals);
        // A correlated EXISTS (a primary-key probe per group) lets the
        // planner drive the query from the sort or place index and stop at
        // the page's end; `g.id IN (SELECT …)` made SQLite read every group
        // with the value first (183 ms instead of 10 ms for a nearby search
        // at 100k groups). Counting reads every match anyway: there the
        // list of groups with the value is the better start (a topic's total
        // and facets at 100k groups: 325 ms through EXISTS, a few ms so).
        if counting {
            format!("g.id IN (SELECT x.group_id FROM {table} x WHERE x.{col} {list})")
        } else {
            format!("EXISTS (SELECT 1 FROM {table} x WHERE x.group_id = g.id AND x.{col} {list})")
        }
    };
    if let Some(v) = &s.topics {
        let x = sub(b, "group_topics", "topic", binds(v).collect());
        c.push(x);
    }
    if let Some(v) = &s.languages {
        let x = sub(
            b,
            "group_languages",
            "language",
            v.iter().cloned().map(Bind::Text).collect(),
        );
        c.push(x);
    }
    if let Some(v) = &s.stages {
        let x = sub(b, "group_recovery_stages", "stage", binds(v).collect());
        c.push(x);
    }
    if let Some(v) = &s.support_types {
        let x = sub(b, "group_support_types", "support_type", binds(v).collect());
        c.push(x);
    }
    let column = |b: &mut SqlBuilder, col: &str, vals: Vec<Bind>| {
        let list = b.in_list(vals);
        format!("g.{col} {list}")
    };
    if let Some(v) = &s.formats {
        let x = column(b, "format", binds(v).collect());
        c.push(x);
    }
    if let Some(v) = &s.enrollments {
        let x = column(b, "enrollment", binds(v).collect());
        c.push(x);
    }
    if let Some(v) = &s.facilitations {
        let x = column(b, "facilitation", binds(v).collect());
        c.push(x);
    }
    if let Some(v) = &s.costs {
        let x = column(b, "cost_kind", binds(v).collect());
        c.push(x);
    }
    if let Some(v) = &s.organizations {
        c.push(organization_condition(b, "g", v));
    }
    if let Some(a) = s.accepting_new_members {
        c.push(format!(
            "g.accepting_new_members = {}",
            if a { "TRUE" } else { "FALSE" }
        ));
    }
    if let Some(t) = s.updated_since {
        let p = b.param(Bind::Timestamp(t));
        c.push(format!("g.updated_at >= {p}"));
    }
    if let Some(tz) = &s.timezone {
        let p = b.param(Bind::Text(tz.clone()));
        c.push(format!("g.schedule_timezone = {p}"));
    }
    if let Some((today, before)) = s.starts_between {
        let lo = b.param(Bind::Date(today));
        let hi = b.param(Bind::Date(before));
        c.push(format!(
            "g.cohort_starts_on >= {lo} AND g.cohort_starts_on < {hi}"
        ));
    }
    if let Some(m) = &s.meets {
        let mut sc = Vec::new();
        if let Some(d) = &m.days {
            sc.push(format!(
                "s.weekday {}",
                b.in_list(d.iter().map(|d| Bind::BigInt(*d)))
            ));
        }
        if let Some(f) = m.from_minute {
            sc.push(format!("s.start_minute >= {}", b.param(Bind::BigInt(f))));
        }
        if let Some(t) = m.to_minute {
            sc.push(format!("s.end_minute <= {}", b.param(Bind::BigInt(t))));
        }
        c.push(format!(
            "EXISTS (SELECT 1 FROM group_meeting_slots s WHERE s.group_id = g.id AND {})",
            sc.join(" AND ")
        ));
    }
    let mut distance = None;
    if let Some(n) = &s.near {
        let (lo, hi, lons) = n.bounding_box();
        let lat_lo = b.param(Bind::Double(lo));
        let lat_hi = b.param(Bind::Double(hi));
        let lon_ranges: Vec<String> = lons
            .iter()
            .map(|(w, e)| {
                let w = b.param(Bind::Double(*w));
                let e = b.param(Bind::Double(*e));
                format!("g.geo_lon BETWEEN {w} AND {e}")
            })
            .collect();
        let d = distance_sql(b, n);
        let r = b.param(Bind::Double(n.radius_km));
        let placed = format!(
            "(g.geo_lat BETWEEN {lat_lo} AND {lat_hi} AND ({}) AND {d} <= {r})",
            lon_ranges.join(" OR ")
        );
        if s.include_online {
            c.push(format!("({placed} OR g.format = 'online')"));
        } else {
            c.push(placed);
        }
        distance = Some(d);
    }
    Parts {
        from,
        listed,
        conditions: c,
        distance,
    }
}

/// The distance expression (NULL for a group without a place).
fn distance_sql(b: &mut SqlBuilder, n: &Near) -> String {
    let plat = b.param(Bind::Double(n.lat));
    let plon = b.param(Bind::Double(n.lon));
    format!("circles_distance_km({plat}, {plon}, g.geo_lat, g.geo_lon)")
}

/// How a sort orders: the expression, its direction, and how its cursor key
/// is written and bound.
struct Order {
    expr: String,
    desc: bool,
}

fn order(sort: GroupSort, p: &Parts) -> Order {
    match sort {
        // Within a tier (the tiers are separate queries).
        GroupSort::Relevance => Order {
            expr: "g.search_rowid".into(),
            desc: false,
        },
        GroupSort::Distance => Order {
            expr: format!(
                "COALESCE({}, {NO_DISTANCE:.1})",
                p.distance.as_deref().expect("distance needs near")
            ),
            desc: false,
        },
        GroupSort::NextMeeting => Order {
            expr: "g.next_meeting_at".into(),
            desc: false,
        },
        GroupSort::Name => Order {
            expr: "g.name_key".into(),
            desc: false,
        },
        GroupSort::Updated => Order {
            expr: "g.updated_at".into(),
            desc: true,
        },
        GroupSort::Created => Order {
            expr: "g.id".into(),
            desc: false,
        },
    }
}

/// The cursor key of a hit under `sort`, as text.
pub fn cursor_for(sort: GroupSort, h: &Hit) -> Cursor {
    let key = match sort {
        GroupSort::Relevance => Some(format!("{}:{}", h.tier.unwrap_or(0), h.listed)),
        GroupSort::Distance => Some(format!("{:?}", h.distance.unwrap_or(NO_DISTANCE))),
        GroupSort::NextMeeting => h.group.next_meeting_at.map(fmt_time),
        GroupSort::Name => h.group.name_key.clone(),
        GroupSort::Updated => Some(fmt_time(h.group.updated_at)),
        GroupSort::Created => None,
    };
    Cursor {
        after_id: h.group.id.clone(),
        key,
        sort: Some(sort.as_str().to_owned()),
    }
}

fn fmt_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

/// The key of a cursor as a bound value for `sort`.
fn cursor_key(sort: GroupSort, c: &Cursor) -> Result<Option<Bind>, ApiError> {
    if c.sort.as_deref().unwrap_or("created") != sort.as_str() {
        return Err(invalid_cursor());
    }
    let key = c.key.as_deref();
    let float = || {
        key.and_then(|k| k.parse::<f64>().ok())
            .filter(|f| f.is_finite())
            .map(Bind::Double)
            .ok_or_else(invalid_cursor)
    };
    let time = || {
        key.and_then(|k| NaiveDateTime::parse_from_str(k, "%Y-%m-%dT%H:%M:%S%.f").ok())
            .map(Bind::Timestamp)
            .ok_or_else(invalid_cursor)
    };
    Ok(match sort {
        GroupSort::Relevance => None,
        GroupSort::Distance => Some(float()?),
        GroupSort::NextMeeting | GroupSort::Updated => Some(time()?),
        GroupSort::Name => Some(Bind::Text(key.ok_or_else(invalid_cursor)?.to_owned())),
        GroupSort::Created => None,
    })
}

/// Where a relevance cursor stands: its tier and `search_rowid`.
fn relevance_cursor(c: &Cursor) -> Result<(i64, i64), ApiError> {
    if c.sort.as_deref() != Some(GroupSort::Relevance.as_str()) {
        return Err(invalid_cursor());
    }
    c.key
        .as_deref()
        .and_then(|k| k.split_once(':'))
        .and_then(|(t, r)| Some((t.parse().ok()?, r.parse().ok()?)))
        .filter(|(t, _)| TIERS.contains(t))
        .ok_or_else(invalid_cursor)
}

/// One page (`limit + 1` hits) of the search, in the order asked. Sorted by
/// relevance, the tiers are read best first, each only as far as the page
/// needs.
pub fn page(
    conn: &mut DbConnection,
    s: &GroupSearch,
    page: &PageRequest,
) -> Result<(GroupSort, Vec<Hit>), ApiError> {
    let want = page.limit as usize + 1;
    if let Some(hits) = nearest_first_rings(conn, s, page, want)? {
        return Ok((GroupSort::Distance, hits));
    }
    let (sort, statements) = page_sql(conn, s, page)?;
    let mut hits: Vec<Hit> = Vec::new();
    for (mut b, tier) in statements {
        if hits.len() >= want {
            break;
        }
        if tier.is_some() {
            b.push(&format!(" LIMIT {}", want - hits.len()));
        }
        hits.extend(b.load::<Hit>(conn)?);
    }
    Ok((sort, hits))
}

/// Nearest first, a page usually lies well inside the radius: a city's
/// centre holds thousands of groups within 10 km of a million, and sorting
/// them all by distance took 20–40 ms per page. Look within a sixteenth of
/// the radius, then a quarter, and stop at the first circle that holds a
/// whole page: every group outside it is farther away than all of those
/// inside, so the page is exactly the one the whole radius gives (online
/// groups, added by `include_online`, come after every placed one). `None`
/// when the search is not by distance or no smaller circle fills the page.
fn nearest_first_rings(
    conn: &mut DbConnection,
    s: &GroupSearch,
    page: &PageRequest,
    want: usize,
) -> Result<Option<Vec<Hit>>, ApiError> {
    let Some(near) = s.near else { return Ok(None) };
    if s.effective_sort()? != GroupSort::Distance {
        return Ok(None);
    }
    let after = match &page.cursor {
        Some(c) => match cursor_key(GroupSort::Distance, c)? {
            Some(Bind::Double(d)) => d,
            _ => return Err(invalid_cursor()),
        },
        None => 0.0,
    };
    for share in [1.0 / 16.0, 1.0 / 4.0] {
        let radius_km = near.radius_km * share;
        if radius_km <= after {
            continue;
        }
        let inner = GroupSearch {
            near: Some(Near { radius_km, ..near }),
            include_online: false,
            sort: Some(GroupSort::Distance),
            ..s.clone()
        };
        let (_, statements) = page_sql(conn, &inner, page)?;
        let Some((b, _)) = statements.into_iter().next() else {
            return Ok(None);
        };
        let hits = b.load::<Hit>(conn)?;
        if hits.len() >= want {
            return Ok(Some(hits));
        }
    }
    Ok(None)
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The backend's plan for the exact page queries [`page`] runs (`EXPLAIN
/// QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL), one line per step. For
/// the tests that check every search shape uses an index.
pub fn explain(
    conn: &mut DbConnection,
    s: &GroupSearch,
    page: &PageRequest,
) -> Result<Vec<String>, ApiError> {
    let (_, statements) = page_sql(conn, s, page)?;
    let mut lines = Vec::new();
    for (mut b, tier) in statements {
        if tier.is_some() {
            b.push(&format!(" LIMIT {}", page.limit + 1));
        }
        if b.is_pg() {
            b.sql = format!("EXPLAIN {}", b.sql);
            lines.extend(b.load::<PgPlanLine>(conn)?.into_iter().map(|l| l.line));
        } else {
            b.sql = format!("EXPLAIN QUERY PLAN {}", b.sql);
            lines.extend(
                b.load::<SqlitePlanLine>(conn)?
                    .into_iter()
                    .map(|l| l.detail),
            );
        }
    }
    Ok(lines)
}

/// The page queries of a search, with its sort: one, or with `sort=relevance`
/// one per tier from the cursor's on (each without its `LIMIT`, which
/// [`page`] adds).
#[allow(clippy::type_complexity)]
fn page_sql(
    conn: &DbConnection,
    s: &GroupSearch,
    page: &PageRequest,
) -> Result<(GroupSort, Vec<(SqlBuilder, Option<i64>)>), ApiError> {
    let sort = s.effective_sort()?;
    if sort == GroupSort::Relevance {
        let at = page.cursor.as_ref().map(relevance_cursor).transpose()?;
        let mut out = Vec::new();
        for tier in TIERS {
            if at.is_some_and(|(t, _)| tier > t) {
                continue;
            }
            let mut b = SqlBuilder::new(conn);
            let p = parts(&mut b, s, Some(tier), false);
            let mut conditions = p.conditions.clone();
            if let Some((t, listed)) = at {
                if t == tier {
                    let k = b.param(Bind::BigInt(listed));
                    conditions.push(format!("{} > {k}", p.listed));
                }
            }
            let order_by = format!("{} ASC", p.listed);
            push_select(&mut b, &p, Some(tier), &conditions, &order_by, None);
            out.push((b, Some(tier)));
        }
        return Ok((sort, out));
    }
    let mut b = SqlBuilder::new(conn);
    let p = parts(&mut b, s, None, false);
    let o = order(sort, &p);
    let mut conditions = p.conditions.clone();
    if let Some(c) = &page.cursor {
        let id = b.param(Bind::Text(c.after_id.clone()));
        let cmp = if o.desc { "<" } else { ">" };
        match cursor_key(sort, c)? {
            None => conditions.push(format!("g.id {cmp} {id}")),
            Some(k) => {
                let k = b.param(k);
                conditions.push(format!("({}, g.id) {cmp} ({k}, {id})", o.expr));
            }
        }
    }
    let dir = if o.desc { "DESC" } else { "ASC" };
    let order_by = if sort == GroupSort::Created {
        format!("g.id {dir}")
    } else {
        format!("{} {dir}, g.id {dir}", o.expr)
    };
    if sort == GroupSort::Distance {
        // Every group in the circle is sorted by distance: sort ids and keys
        // only (from the covering support_groups_geo), then read the page's
        // rows, instead of carrying every candidate's whole row through the
        // sort.
        let distance = p.distance.clone().expect("distance needs near");
        b.push(&format!(
            "SELECT g.*, x.distance AS distance, CAST(NULL AS BIGINT) AS tier, \
             g.search_rowid AS listed FROM (SELECT g.id AS id, \
             CAST({distance} AS DOUBLE PRECISION) AS distance, {} AS k FROM {} WHERE {} \
             ORDER BY {order_by} LIMIT {}) x JOIN support_groups g ON g.id = x.id \
             ORDER BY x.k {dir}, x.id {dir}",
            o.expr,
            p.from,
            conditions.join(" AND "),
            page.limit + 1
        ));
        return Ok((sort, vec![(b, None)]));
    }
    push_select(
        &mut b,
        &p,
        None,
        &conditions,
        &order_by,
        Some(page.limit + 1),
    );
    Ok((sort, vec![(b, None)]))
}

/// `SELECT` the hits of `p` under `conditions`, in `order_by`.
fn push_select(
    b: &mut SqlBuilder,
    p: &Parts,
    tier: Option<i64>,
    conditions: &[String],
    order_by: &str,
    limit: Option<u32>,
) {
    let distance = p.distance.clone().unwrap_or_else(|| "NULL".into());
    let tier = tier.map_or("NULL".to_owned(), |t| t.to_string());
    let limit = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    b.push(&format!(
        "SELECT g.*, CAST({distance} AS DOUBLE PRECISION) AS distance, \
         CAST({tier} AS BIGINT) AS tier, g.search_rowid AS listed \
         FROM {} WHERE {} ORDER BY {order_by}{limit}",
        p.from,
        conditions.join(" AND "),
    ));
}

/// How many groups match (all pages).
pub fn total(conn: &mut DbConnection, s: &GroupSearch) -> Result<i64, ApiError> {
    let mut b = SqlBuilder::new(conn);
    let p = parts(&mut b, s, None, true);
    b.push(&format!(
        "SELECT COUNT(*) AS n FROM {} WHERE {}",
        p.from,
        p.conditions.join(" AND ")
    ));
    Ok(b.load::<Count>(conn)?.first().map_or(0, |c| c.n))
}

/// Counts per value of each facet, over all matching groups.
pub fn facets(
    conn: &mut DbConnection,
    s: &GroupSearch,
    which: &[Facet],
) -> Result<Facets, ApiError> {
    let mut out = Facets::default();
    for f in which {
        let mut b = SqlBuilder::new(conn);
        let p = parts(&mut b, s, None, true);
        let matching = format!(
            "SELECT g.id FROM {} WHERE {}",
            p.from,
            p.conditions.join(" AND ")
        );
        b.push(&match f {
            Facet::Topic => format!(
                "SELECT topic AS value, COUNT(*) AS n FROM group_topics \
                 WHERE group_id IN ({matching}) GROUP BY topic"
            ),
            Facet::Language => format!(
                "SELECT language AS value, COUNT(*) AS n FROM group_languages \
                 WHERE group_id IN ({matching}) GROUP BY language"
            ),
            Facet::Format => format!(
                "SELECT g.format AS value, COUNT(*) AS n FROM {} \
                 WHERE {} GROUP BY g.format",
                p.from,
                p.conditions.join(" AND ")
            ),
        });
        let counts: BTreeMap<String, i64> = b
            .load::<ValueCount>(conn)?
            .into_iter()
            .map(|v| (v.value, v.n))
            .collect();
        match f {
            Facet::Topic => out.topic = Some(counts),
            Facet::Format => out.format = Some(counts),
            Facet::Language => out.language = Some(counts),
        }
    }
    Ok(out)
}
