//! Discovery on `GET /v1/groups`: keyword search, nearby search, meeting
//! times, cohorts, time zones, sorts, keyed cursors, totals and facets.
//!
//! The property test builds a few thousand groups from a seeded generator
//! and checks random query combinations, walking every page, against a
//! brute-force evaluation in the test. The other tests follow the full-text
//! index through every kind of write, check that hidden places never leak,
//! check the query plans, and check the 400s.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use circles::vocab::{Topic, Vocabulary};
use serde_json::{json, Value};

use crate::helpers::{group_body, in_person_body, merge, names, spawn_app, Backend, Rng, TestApp};

// --- The controlled vocabulary ------------------------------------------------

/// Words of names, summaries, descriptions and organization names: each is
/// its own (Porter and Snowball) stem, none is a stop word, and no two share
/// a stem or a first three letters with a topic label's word.
const WORDS: &[&str] = &[
    "harbor", "cedar", "walk", "tea", "river", "lantern", "garden", "quiet", "meadow", "willow",
    "anchor", "orchard", "summit", "falcon", "beacon", "island", "violet", "compass", "amber",
    "juniper",
];

/// Prefixes searched as the last word (type-ahead): consonant-final, so
/// neither stemmer changes them.
const PREFIXES: &[&str] = &[
    "harb", "ced", "wal", "riv", "lan", "lant", "gard", "qui", "mead", "wil", "anch", "orch",
    "summ", "falc", "beac", "isl", "viol", "comp", "amb", "jun",
];

/// Words in some names that are never searched (diacritics fold differently
/// on the two backends): they only test `sort=name` on non-ASCII names.
const OTHER_WORDS: &[&str] = &["Über", "Ærø", "élan", "Zoë", "ångström"];

const ORG_NAMES: &[&str] = &["Cedar Anchor", "Willow Beacon", "Falcon Meadow"];

const TIMEZONES: &[&str] = &[
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
];

const LANGUAGES: &[&str] = &["en", "es", "fr", "de", "pl", "cy"];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const BYDAY: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
const STAGES: &[&str] = &[
    "moratorium",
    "awareness",
    "preparation",
    "rebuilding",
    "growth",
];
const SUPPORT: &[&str] = &["emotional", "informational", "companionship", "validation"];
const FACILITATION: &[&str] = &["peer_led", "professional", "co_facilitated"];

/// City centres, and halls where several groups meet at the very same spot.
const CITIES: &[(f64, f64)] = &[
    (51.5074, -0.1278),
    (53.4808, -2.2426),
    (53.8008, -1.5491),
    (51.4545, -2.5879),
];
const HALLS: &[(f64, f64)] = &[
    (51.53621, -0.10347),
    (51.5, -0.1),
    (51.51234, -0.12766),
    (53.48, -2.24),
    (53.47913, -2.24512),
    (53.8, -1.55),
    (51.45, -2.6),
    (51.45988, -2.58123),
];

// --- The model -----------------------------------------------------------------

#[derive(Debug, Clone)]
struct Place {
    visibility: &'static str,
    coords: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
struct Sched {
    /// ISO weekdays (1 = Monday).
    days: Vec<u32>,
    starts_at: NaiveDateTime,
    tz: &'static str,
    duration: u32,
}

#[derive(Debug, Clone)]
struct G {
    ext: String,
    org: usize,
    name: String,
    summary: Option<String>,
    description: Option<String>,
    topics: Vec<&'static str>,
    format: &'static str,
    cohort: Option<(NaiveDate, NaiveDate)>,
    facilitation: &'static str,
    languages: Vec<&'static str>,
    stages: Vec<&'static str>,
    support: Vec<&'static str>,
    accepting: bool,
    place: Option<Place>,
    schedule: Option<Sched>,
    status: &'static str,
}

impl G {
    fn published(&self) -> bool {
        self.status == "published"
    }

    fn body(&self) -> Value {
        let mut b = json!({
            "external_id": self.ext,
            "name": self.name,
            "topics": self.topics,
            "format": self.format,
            "facilitation": self.facilitation,
            "languages": self.languages,
            "recovery_stages": self.stages,
            "support_types": self.support,
            "accepting_new_members": self.accepting,
            "status": self.status,
        });
        if let Some(s) = &self.summary {
            b["summary"] = json!(s);
        }
        if let Some(d) = &self.description {
            b["description"] = json!(d);
        }
        if let Some((from, to)) = self.cohort {
            b["enrollment"] = json!("cohort");
            b["cohort"] = json!({"starts_on": from.to_string(), "ends_on": to.to_string()});
        }
        if let Some(s) = &self.schedule {
            let days: Vec<&str> = s.days.iter().map(|d| BYDAY[*d as usize - 1]).collect();
            b["schedule"] = json!({
                "rrule": format!("FREQ=WEEKLY;BYDAY={}", days.join(",")),
                "starts_at": s.starts_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "timezone": s.tz,
                "duration_minutes": s.duration,
            });
        }
        if let Some(p) = &self.place {
            let mut l = json!({"visibility": p.visibility, "locality": "Somewhere",
                               "country": "GB", "street_address": "1 Test Street"});
            if let Some((lat, lon)) = p.coords {
                l["latitude"] = json!(lat);
                l["longitude"] = json!(lon);
            }
            b["location"] = l;
        }
        if self.format != "in_person" {
            b["online"] = json!({"platform": "Jitsi",
                                  "join_url": format!("https://meet.jit.si/{}", self.ext)});
        }
        b
    }

    /// The stems the full-text index holds for this group (topic labels
    /// aside: no searched word or prefix can match them, see `WORDS`).
    fn tokens(&self) -> BTreeSet<String> {
        self.tokens_of(&[
            Some(self.name.as_str()),
            self.summary.as_deref(),
            self.description.as_deref(),
            Some(ORG_NAMES[self.org]),
        ])
    }

    /// The relevance tier of a match for `words`: 3 when every word is in
    /// the name, 2 in the name or summary, 1 otherwise.
    fn tier(&self, words: &[String]) -> i64 {
        let name = self.tokens_of(&[Some(self.name.as_str())]);
        let head = self.tokens_of(&[Some(self.name.as_str()), self.summary.as_deref()]);
        if all_words_in(words, &name) {
            3
        } else if all_words_in(words, &head) {
            2
        } else {
            1
        }
    }

    fn tokens_of(&self, texts: &[Option<&str>]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for text in texts.iter().flatten() {
            for w in text.split(|c: char| !c.is_alphanumeric()) {
                if !w.is_empty() {
                    out.insert(w.to_lowercase());
                }
            }
        }
        out
    }

    /// Where nearby search places the group (the centre of its 0.1° cell
    /// unless its place is public).
    fn placement(&self) -> Option<(f64, f64)> {
        if self.format == "online" {
            return None;
        }
        let p = self.place.as_ref()?;
        let (lat, lon) = p.coords?;
        let centre = |x: f64| ((x / 0.1).floor() + 0.5) * 0.1;
        Some(match p.visibility {
            "public" => (lat, lon),
            _ => (centre(lat).clamp(-90.0, 90.0), centre(lon)),
        })
    }

    fn has_meetings(&self) -> bool {
        let Some(s) = &self.schedule else {
            return false;
        };
        match self.cohort {
            None => true,
            Some((from, to)) => from <= s.starts_at.date() && to >= s.starts_at.date(),
        }
    }

    /// The first meeting (UTC): `starts_at` in its zone, which is always one
    /// of the rule's days and after now.
    fn next_meeting(&self) -> Option<DateTime<Utc>> {
        if !self.has_meetings() {
            return None;
        }
        let s = self.schedule.as_ref()?;
        let tz: chrono_tz::Tz = s.tz.parse().unwrap();
        Some(
            tz.from_local_datetime(&s.starts_at)
                .single()
                .expect("no DST gap")
                .with_timezone(&Utc),
        )
    }

    /// (ISO weekday, start minute, end minute) in the group's zone.
    fn slots(&self) -> Vec<(u32, u32, u32)> {
        if !self.has_meetings() {
            return vec![];
        }
        let s = self.schedule.as_ref().unwrap();
        let start = s.starts_at.time();
        use chrono::Timelike;
        let m = start.hour() * 60 + start.minute();
        s.days.iter().map(|d| (*d, m, m + s.duration)).collect()
    }
}

fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let dlat = (lat2 - lat1).to_radians() / 2.0;
    let dlon = (lon2 - lon1).to_radians() / 2.0;
    let h = dlat.sin() * dlat.sin()
        + lat1.to_radians().cos() * lat2.to_radians().cos() * dlon.sin() * dlon.sin();
    2.0 * 6371.0088 * h.sqrt().min(1.0).asin()
}

fn shown_distance(km: f64, visibility: &str) -> f64 {
    if visibility == "on_request" {
        km.round().max(1.0)
    } else {
        (km * 10.0).round() / 10.0
    }
}

fn round5(x: f64) -> f64 {
    format!("{x:.5}").parse().unwrap()
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len())]
}

fn words(rng: &mut Rng, min: usize, max: usize) -> Vec<&'static str> {
    let n = min + rng.below(max - min + 1);
    (0..n).map(|_| *rng.pick(WORDS)).collect()
}

fn generate(rng: &mut Rng, n: usize) -> Vec<G> {
    let topics: Vec<&'static str> = Topic::all().iter().map(|t| t.as_str()).collect();
    let monday = NaiveDate::from_ymd_opt(2028, 1, 3).unwrap();
    (0..n)
        .map(|i| {
            let mut name: Vec<String> = words(rng, 1, 3)
                .iter()
                .map(|w| {
                    if rng.percent(50) {
                        capitalize(w)
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            if rng.percent(4) {
                name.insert(0, rng.pick(OTHER_WORDS).to_string());
            }
            if rng.percent(10) {
                name.push(format!("{}", rng.below(12)));
            }
            let text = |rng: &mut Rng, max: usize| {
                rng.percent(70).then(|| {
                    let w = words(rng, 1, max);
                    format!("{}, and more.", w.join(" "))
                })
            };
            let summary = text(rng, 4);
            let description = text(rng, 6);
            let mut t: Vec<&'static str> =
                (0..1 + rng.below(3)).map(|_| *rng.pick(&topics)).collect();
            t.sort();
            t.dedup();
            let format = match rng.below(100) {
                0..=39 => "in_person",
                40..=74 => "online",
                _ => "hybrid",
            };
            let place = (format != "online" || rng.percent(10)).then(|| {
                let visibility = *rng.pick(&["public", "area_only", "on_request"]);
                let coords = rng.percent(88).then(|| match rng.below(100) {
                    0..=19 => *rng.pick(HALLS),
                    20..=34 => {
                        // Exactly on a cell border.
                        let (lat, lon) = *rng.pick(CITIES);
                        let k = |x: f64, rng: &mut Rng| {
                            ((x * 10.0).round() + rng.below(5) as f64 - 2.0) / 10.0
                        };
                        (k(lat, rng), k(lon, rng))
                    }
                    _ => {
                        let (lat, lon) = *rng.pick(CITIES);
                        let off = |rng: &mut Rng| (rng.below(40_001) as f64 - 20_000.0) / 100_000.0;
                        (round5(lat + off(rng)), round5(lon + off(rng)))
                    }
                });
                Place { visibility, coords }
            });
            let schedule = rng.percent(90).then(|| {
                let mut days = vec![1 + rng.below(7) as u32];
                if rng.percent(50) {
                    let d = 1 + rng.below(7) as u32;
                    if !days.contains(&d) {
                        days.push(d);
                    }
                }
                let first = days[0];
                let date = monday + Duration::days(7 * rng.below(21) as i64 + i64::from(first) - 1);
                let time = chrono::NaiveTime::from_hms_opt(
                    6 + rng.below(17) as u32,
                    15 * rng.below(4) as u32,
                    0,
                )
                .unwrap();
                Sched {
                    days,
                    starts_at: date.and_time(time),
                    tz: pick(rng, TIMEZONES),
                    duration: *rng.pick(&[30, 45, 60, 90, 120, 150, 240]),
                }
            });
            let cohort = rng.percent(20).then(|| {
                if rng.percent(10) {
                    // Long over.
                    let from = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
                        + Duration::days(rng.below(200) as i64);
                    (from, from + Duration::days(30))
                } else {
                    let anchor = schedule.as_ref().map_or_else(
                        || {
                            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
                                + Duration::days(rng.below(600) as i64)
                        },
                        |s| s.starts_at.date(),
                    );
                    (
                        anchor - Duration::days(rng.below(40) as i64),
                        anchor + Duration::days(14 + rng.below(90) as i64),
                    )
                }
            });
            let mut languages = vec![*rng.pick(LANGUAGES)];
            if rng.percent(30) {
                let l = *rng.pick(LANGUAGES);
                if !languages.contains(&l) {
                    languages.push(l);
                }
            }
            languages.sort();
            let mut stages = vec![*rng.pick(STAGES)];
            stages.dedup();
            let mut support = vec![*rng.pick(SUPPORT)];
            support.dedup();
            G {
                ext: format!("g{i:05}"),
                org: rng.below(ORG_NAMES.len()),
                name: name.join(" "),
                summary,
                description,
                topics: t,
                format,
                cohort,
                facilitation: pick(rng, FACILITATION),
                languages,
                stages,
                support,
                accepting: rng.percent(80),
                place,
                schedule,
                status: match rng.below(100) {
                    0..=89 => "published",
                    90..=96 => "draft",
                    _ => "archived",
                },
            }
        })
        .collect()
}

// --- Queries -------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Q {
    q: Option<String>,
    topic: Option<Vec<&'static str>>,
    format: Option<Vec<&'static str>>,
    language: Option<Vec<&'static str>>,
    organization: Option<(usize, String)>,
    accepting: Option<bool>,
    near: Option<(f64, f64)>,
    radius: Option<f64>,
    include_online: bool,
    days: Option<Vec<u32>>,
    time_from: Option<u32>,
    time_to: Option<u32>,
    starts_before: Option<NaiveDate>,
    timezone: Option<&'static str>,
    enrollment: Option<&'static str>,
    sort: Option<&'static str>,
    limit: usize,
    extras: bool,
}

const STOP: &[&str] = &["the", "and", "for", "of", "a"];

/// Every word is one of `tokens`; the last may be the start of one.
fn all_words_in(words: &[String], tokens: &BTreeSet<String>) -> bool {
    let last = words.len().saturating_sub(1);
    words.iter().enumerate().all(|(i, w)| {
        if i == last {
            tokens.iter().any(|t| t.starts_with(w.as_str()))
        } else {
            tokens.contains(w)
        }
    })
}

impl Q {
    /// The searchable words (lowercase, without stop words).
    fn words(&self) -> Vec<String> {
        self.q
            .as_deref()
            .unwrap_or("")
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !STOP.contains(&w.as_str()))
            .collect()
    }

    fn effective_sort(&self) -> &'static str {
        self.sort.unwrap_or(if !self.words().is_empty() {
            "relevance"
        } else if self.near.is_some() {
            "distance"
        } else {
            "created"
        })
    }

    fn query_string(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        let hhmm = |m: u32| format!("{:02}:{:02}", (m / 60) % 24, m % 60);
        if let Some(q) = &self.q {
            s.append_pair("q", q);
        }
        if let Some(t) = &self.topic {
            s.append_pair("topic", &t.join(","));
        }
        if let Some(f) = &self.format {
            s.append_pair("format", &f.join(","));
        }
        if let Some(l) = &self.language {
            s.append_pair("language", &l.join(","));
        }
        if let Some((_, o)) = &self.organization {
            s.append_pair("organization", o);
        }
        if let Some(a) = self.accepting {
            s.append_pair("accepting_new_members", &a.to_string());
        }
        if let Some((lat, lon)) = self.near {
            s.append_pair("near", &format!("{lat},{lon}"));
        }
        if let Some(r) = self.radius {
            s.append_pair("radius_km", &r.to_string());
        }
        if self.include_online {
            s.append_pair("include_online", "true");
        }
        if let Some(d) = &self.days {
            let d: Vec<&str> = d.iter().map(|d| DAYS[*d as usize - 1]).collect();
            s.append_pair("day", &d.join(","));
        }
        if let Some(m) = self.time_from {
            s.append_pair("time_from", &hhmm(m));
        }
        if let Some(m) = self.time_to {
            s.append_pair("time_to", &hhmm(m));
        }
        if let Some(d) = self.starts_before {
            s.append_pair("starts_before", &d.to_string());
        }
        if let Some(tz) = self.timezone {
            s.append_pair("timezone", tz);
        }
        if let Some(e) = self.enrollment {
            s.append_pair("enrollment", e);
        }
        if let Some(o) = self.sort {
            s.append_pair("sort", o);
        }
        s.append_pair("limit", &self.limit.to_string());
        s.finish()
    }

    fn radius_km(&self) -> f64 {
        self.radius.unwrap_or(25.0)
    }

    /// Whether `g` matches, and its exact distance (with `near`).
    fn matches(&self, g: &G, today: NaiveDate) -> Option<Option<f64>> {
        if !g.published() {
            return None;
        }
        let words = self.words();
        if !words.is_empty() && !all_words_in(&words, &g.tokens()) {
            return None;
        }
        let any = |want: &Option<Vec<&'static str>>, have: &[&'static str]| {
            want.as_ref()
                .is_none_or(|w| w.iter().any(|x| have.contains(x)))
        };
        if !any(&self.topic, &g.topics)
            || !any(&self.format, &[g.format])
            || !any(&self.language, &g.languages)
        {
            return None;
        }
        if let Some((org, _)) = &self.organization {
            if *org != g.org {
                return None;
            }
        }
        if self.accepting.is_some_and(|a| a != g.accepting) {
            return None;
        }
        if let Some(e) = self.enrollment {
            if e != if g.cohort.is_some() {
                "cohort"
            } else {
                "rolling"
            } {
                return None;
            }
        }
        if let Some(tz) = self.timezone {
            if g.schedule.as_ref().map(|s| s.tz) != Some(tz) {
                return None;
            }
        }
        if let Some(before) = self.starts_before {
            match g.cohort {
                Some((from, _)) if from >= today && from < before => {}
                _ => return None,
            }
        }
        if self.days.is_some() || self.time_from.is_some() || self.time_to.is_some() {
            let ok = g.slots().iter().any(|(d, s, e)| {
                self.days.as_ref().is_none_or(|ds| ds.contains(d))
                    && self.time_from.is_none_or(|f| *s >= f)
                    && self.time_to.is_none_or(|t| *e <= t)
            });
            if !ok {
                return None;
            }
        }
        let mut distance = None;
        if let Some((lat, lon)) = self.near {
            match g.placement() {
                Some((plat, plon)) => {
                    let d = haversine(lat, lon, plat, plon);
                    if d <= self.radius_km() {
                        distance = Some(d);
                    } else if !(self.include_online && g.format == "online") {
                        return None;
                    }
                }
                None => {
                    if !(self.include_online && g.format == "online") {
                        return None;
                    }
                }
            }
        }
        Some(distance)
    }
}

/// A published group as the server reported it.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    updated_at: DateTime<Utc>,
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// Every page of `/v1/groups?{query}`: the items, and the first page.
async fn walk(app: &TestApp, query: &str, limit: usize) -> (Vec<Value>, Value, usize) {
    let mut out = Vec::new();
    let mut first = None;
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages < 500, "{query}: the pages never end");
        let path = match &cursor {
            None => format!("/v1/groups?{query}"),
            Some(c) => format!("/v1/groups?{query}&cursor={c}"),
        };
        let page = app.get(&path).await.expect(200);
        let data = page["data"].as_array().expect("data").clone();
        assert!(data.len() <= limit, "{query}: a page over the limit");
        let next = page["next_cursor"].as_str().map(str::to_owned);
        if next.is_some() {
            assert_eq!(data.len(), limit, "{query}: a page before the last is full");
        }
        out.extend(data);
        if first.is_none() {
            first = Some(page);
        }
        match next {
            Some(c) => cursor = Some(c),
            None => return (out, first.unwrap(), pages),
        }
    }
}

fn random_query(rng: &mut Rng, groups: &[G], orgs: &[(String, String)]) -> Q {
    let topics: Vec<&'static str> = Topic::all().iter().map(|t| t.as_str()).collect();
    let mut q = Q::default();
    if rng.percent(45) {
        q.q = Some(match rng.below(7) {
            0 | 1 => rng.pick(WORDS).to_string(),
            2 => format!("{} {}", rng.pick(WORDS), rng.pick(WORDS)),
            3 => format!("{} {}", rng.pick(WORDS), rng.pick(PREFIXES)),
            4 => rng.pick(PREFIXES).to_string(),
            5 => format!("The {}!", capitalize(pick(rng, WORDS))),
            _ => format!(
                "{} and {} for {}",
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(PREFIXES)
            ),
        });
    }
    let some = |rng: &mut Rng, from: &[&'static str], max: usize| {
        let mut v: Vec<&'static str> = (0..1 + rng.below(max)).map(|_| *rng.pick(from)).collect();
        v.sort();
        v.dedup();
        v
    };
    if rng.percent(15) {
        q.topic = Some(some(rng, &topics, 3));
    }
    if rng.percent(20) {
        q.format = Some(some(rng, &["in_person", "online", "hybrid"], 2));
    }
    if rng.percent(10) {
        q.language = Some(some(rng, LANGUAGES, 2));
    }
    if rng.percent(10) {
        let i = rng.below(orgs.len());
        let key = if rng.percent(50) {
            orgs[i].0.clone()
        } else {
            orgs[i].1.clone()
        };
        q.organization = Some((i, key));
    }
    if rng.percent(10) {
        q.accepting = Some(rng.percent(50));
    }
    if rng.percent(8) {
        q.enrollment = Some(*rng.pick(&["cohort", "rolling"]));
    }
    if rng.percent(40) {
        q.near = Some(match rng.below(3) {
            0 => *rng.pick(CITIES),
            1 => *rng.pick(HALLS),
            _ => loop {
                let g = rng.pick(groups);
                if let Some((lat, lon)) = g.place.as_ref().and_then(|p| p.coords) {
                    break (lat, lon);
                }
            },
        });
        if rng.percent(80) {
            q.radius = Some(*rng.pick(&[0.3, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0, 300.0, 500.0]));
        }
        q.include_online = rng.percent(30);
    }
    if rng.percent(15) {
        let mut d: Vec<u32> = (0..1 + rng.below(3))
            .map(|_| 1 + rng.below(7) as u32)
            .collect();
        d.sort();
        d.dedup();
        q.days = Some(d);
    }
    if rng.percent(15) {
        q.time_from = Some(60 * (6 + rng.below(16)) as u32 + 15 * rng.below(4) as u32);
    }
    if rng.percent(15) {
        let from = q.time_from.unwrap_or(0);
        // 1440 is written `00:00`.
        let to = (from + 30 + 15 * rng.below(60) as u32).min(1440);
        q.time_to = Some(if to > 1440 - 15 { 1440 } else { to });
    }
    if rng.percent(10) {
        q.timezone = Some(*rng.pick(TIMEZONES));
    }
    if rng.percent(10) {
        q.starts_before = Some(
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap() + Duration::days(rng.below(850) as i64),
        );
    }
    let mut sorts = vec!["next_meeting", "name", "updated", "created"];
    if q.q.is_some() {
        sorts.push("relevance");
        sorts.push("relevance");
    }
    if q.near.is_some() {
        sorts.push("distance");
        sorts.push("distance");
    }
    if rng.percent(75) {
        q.sort = Some(*rng.pick(&sorts));
    }
    q.limit = 7 + rng.below(44);
    q.extras = rng.percent(35);
    q
}

// --- The property test -----------------------------------------------------------

#[tokio::test]
async fn random_searches_match_a_brute_force_evaluation() {
    let started = Instant::now();
    let app = spawn_app().await;
    let mut orgs = Vec::new();
    for name in ORG_NAMES {
        orgs.push(app.org(name).await);
    }
    let org_keys: Vec<(String, String)> = orgs
        .iter()
        .map(|o| (o.id.clone(), o.slug.clone()))
        .collect();

    // The vocabulary's assumptions: no searched word or prefix can match a
    // topic label's word, a non-searched word, or a stop word.
    let mut foreign: Vec<String> = Topic::all()
        .iter()
        .flat_map(|t| {
            t.label()
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    foreign.extend(OTHER_WORDS.iter().map(|w| w.to_lowercase()));
    foreign.extend(["and", "more", "uber", "aero", "elan", "zoe", "angstrom"].map(String::from));
    for w in WORDS.iter().chain(PREFIXES) {
        assert!(w.len() >= 3 && !STOP.contains(w), "{w}");
        for f in &foreign {
            assert!(
                !f.starts_with(w),
                "`{w}` could match the foreign word `{f}`"
            );
        }
    }

    let mut rng = Rng::new(0x00d1_5c0e_5eed);
    let n = 2400;
    let mut groups = generate(&mut rng, n);
    for g in groups.iter_mut() {
        // Every organization's batch stays within the sync limit.
        g.org = (g.ext[1..].parse::<usize>().unwrap()) * ORG_NAMES.len() / n;
    }
    for (i, org) in orgs.iter().enumerate() {
        let batch: Vec<Value> = groups.iter().filter(|g| g.org == i).map(G::body).collect();
        assert!(batch.len() <= 1000);
        let answer = app
            .post("/v1/sync/groups", &org.token, &json!({ "upsert": batch }))
            .await
            .expect(200);
        assert_eq!(
            answer["counts"]["created"],
            batch.len(),
            "every group is created: {}",
            answer["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["outcome"] != "created")
                .cloned()
                .unwrap_or_default()
        );
    }
    let seeded = started.elapsed();

    // What the server holds: every published group once, with the first
    // meeting the model expects.
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for item in app.list_all("").await {
        let ext = item["external_id"].as_str().unwrap().to_owned();
        let g = groups.iter().find(|g| g.ext == ext).unwrap();
        assert!(g.published(), "{ext} is {}, yet listed", g.status);
        let expected = g
            .next_meeting()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        let got = item["next_meeting_at"]
            .as_str()
            .map(|s| time(&json!(s)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        assert_eq!(
            got, expected,
            "{ext}: next_meeting_at; {:?} {:?}",
            g.schedule, g.cohort
        );
        let prev = seen.insert(
            ext,
            Seen {
                id: item["id"].as_str().unwrap().to_owned(),
                updated_at: time(&item["updated_at"]),
            },
        );
        assert!(prev.is_none(), "a group listed twice");
    }
    let published = groups.iter().filter(|g| g.published()).count();
    assert_eq!(seen.len(), published, "every published group is listed");
    let id_of = |g: &G| seen[&g.ext].id.clone();
    let by_id: HashMap<String, &G> = groups
        .iter()
        .filter(|g| g.published())
        .map(|g| (id_of(g), g))
        .collect();

    // Each word and prefix once: the server finds what the model expects.
    for w in WORDS.iter().chain(PREFIXES) {
        let q = Q {
            q: Some(w.to_string()),
            ..Q::default()
        };
        let today = Utc::now().date_naive();
        let expected = groups
            .iter()
            .filter(|g| q.matches(g, today).is_some())
            .count();
        let page = app
            .get(&format!("/v1/groups?q={w}&include_total=true&limit=1"))
            .await
            .expect(200);
        assert_eq!(page["total"], expected, "q={w}: the total");
        assert!(expected > 0, "q={w} finds something");
    }

    let mut requests = 0;
    let mut slow = Vec::new();
    let mut big = 0;
    let mut empty = 0;
    let mut shapes: BTreeMap<&str, usize> = BTreeMap::new();
    let queries = 100;
    for i in 0..queries {
        // Responses cost about a millisecond a group (debug builds): walk
        // at most a few queries that match most of the directory.
        let today = Utc::now().date_naive();
        let (mut q, mut expected) = loop {
            let q = random_query(&mut rng, &groups, &org_keys);
            let expected: Vec<(&G, Option<f64>)> = groups
                .iter()
                .filter_map(|g| q.matches(g, today).map(|d| (g, d)))
                .collect();
            if expected.len() <= 300 {
                break (q, expected);
            }
            if big < 3 {
                big += 1;
                break (q, expected);
            }
        };
        // Keep the walks short.
        q.limit = q.limit.max(expected.len().div_ceil(25)).min(100);
        let qs = q.query_string();
        let sort = q.effective_sort();
        let key_id = |g: &G| id_of(g);
        match sort {
            "distance" => expected.sort_by(|a, b| {
                let da = a.1.unwrap_or(1.0e9);
                let db = b.1.unwrap_or(1.0e9);
                da.total_cmp(&db)
                    .then_with(|| key_id(a.0).cmp(&key_id(b.0)))
            }),
            "next_meeting" => expected.sort_by(|a, b| {
                let ka = a.0.next_meeting().unwrap_or(DateTime::<Utc>::MAX_UTC);
                let kb = b.0.next_meeting().unwrap_or(DateTime::<Utc>::MAX_UTC);
                ka.cmp(&kb).then_with(|| key_id(a.0).cmp(&key_id(b.0)))
            }),
            "name" => expected.sort_by(|a, b| {
                a.0.name
                    .to_lowercase()
                    .cmp(&b.0.name.to_lowercase())
                    .then_with(|| key_id(a.0).cmp(&key_id(b.0)))
            }),
            "updated" => expected.sort_by(|a, b| {
                let ka = seen[&a.0.ext].updated_at;
                let kb = seen[&b.0.ext].updated_at;
                kb.cmp(&ka).then_with(|| key_id(b.0).cmp(&key_id(a.0)))
            }),
            _ => expected.sort_by_key(|a| key_id(a.0)),
        }
        let t0 = Instant::now();
        let (items, first, pages) = walk(&app, &qs, q.limit).await;
        slow.push((t0.elapsed(), pages, qs.clone()));
        *shapes.entry(sort).or_insert(0) += 1;
        if expected.is_empty() {
            empty += 1;
        }
        requests += pages;
        let got: Vec<String> = items
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_owned())
            .collect();
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "query {i} `{qs}`: an item twice");
        let want: Vec<String> = expected.iter().map(|(g, _)| id_of(g)).collect();
        let describe = |got: &[String], want: &[String]| {
            let g: HashSet<&String> = got.iter().collect();
            let w: HashSet<&String> = want.iter().collect();
            let extra: Vec<String> = g
                .difference(&w)
                .take(3)
                .map(|id| {
                    format!(
                        "{id} {:?}",
                        by_id.get(*id).map(|g| (&g.name, &g.place, &g.schedule))
                    )
                })
                .collect();
            let missing: Vec<String> = w
                .difference(&g)
                .take(3)
                .map(|id| {
                    format!(
                        "{id} {:?}",
                        by_id
                            .get(*id)
                            .map(|g| (&g.name, &g.place, &g.schedule, &g.cohort))
                    )
                })
                .collect();
            format!(
                "got {} expected {}; unexpected {extra:?}; missing {missing:?}",
                got.len(),
                want.len()
            )
        };
        let tolerant = app.backend == Backend::Postgres && sort == "distance";
        if sort == "relevance" {
            let g: BTreeSet<&String> = got.iter().collect();
            let w: BTreeSet<&String> = want.iter().collect();
            assert!(g == w, "query {i} `{qs}`: {}", describe(&got, &want));
            let words = q.words();
            for item in &items {
                let g = by_id[item["id"].as_str().unwrap()];
                assert_eq!(
                    item["relevance"].as_f64(),
                    Some(g.tier(&words) as f64),
                    "query {i} `{qs}`: the tier of {:?} {:?}",
                    g.name,
                    g.summary
                );
            }
            // Best tier first; within a tier, in the order groups were listed.
            for pair in items.windows(2) {
                let (a, b) = (&pair[0], &pair[1]);
                let ra = a["relevance"].as_f64().expect("relevance");
                let rb = b["relevance"].as_f64().expect("relevance");
                let (ca, cb) = (a["created_at"].as_str(), b["created_at"].as_str());
                let (ca, cb) = (
                    DateTime::parse_from_rfc3339(ca.unwrap()).unwrap(),
                    DateTime::parse_from_rfc3339(cb.unwrap()).unwrap(),
                );
                assert!(
                    ra > rb || (ra == rb && ca <= cb),
                    "query {i} `{qs}`: relevance order {ra} {} then {rb} {}",
                    a["id"],
                    b["id"]
                );
            }
        } else if tolerant {
            // PostgreSQL computes the distance in SQL: allow a last-bit
            // difference at the radius and between near-equal distances.
            let exact: HashMap<String, Option<f64>> =
                expected.iter().map(|(g, d)| (id_of(g), *d)).collect();
            let g: BTreeSet<&String> = got.iter().collect();
            let w: BTreeSet<&String> = want.iter().collect();
            for id in g.symmetric_difference(&w) {
                let gg = by_id[*id];
                let (lat, lon) = q.near.unwrap();
                let (plat, plon) = gg.placement().expect("a placed group");
                let d = haversine(lat, lon, plat, plon);
                assert!(
                    (d - q.radius_km()).abs() < 1e-9,
                    "query {i} `{qs}`: {}",
                    describe(&got, &want)
                );
            }
            let key = |id: &String| exact.get(id).copied().flatten().unwrap_or(1.0e9);
            for pair in got.windows(2) {
                let (da, db) = (key(&pair[0]), key(&pair[1]));
                assert!(
                    da < db - 1e-9 || ((da - db).abs() <= 1e-9 && (da != db || pair[0] < pair[1])),
                    "query {i} `{qs}`: distance order {da} {} then {db} {}",
                    pair[0],
                    pair[1]
                );
            }
        } else {
            assert!(
                got == want,
                "query {i} `{qs}` ({sort}): {}",
                describe(&got, &want)
            );
        }

        // Fields that come with the search.
        let dist: HashMap<String, Option<f64>> =
            expected.iter().map(|(g, d)| (id_of(g), *d)).collect();
        for item in &items {
            let id = item["id"].as_str().unwrap();
            if sort == "relevance" {
                assert!(item["relevance"].is_number(), "`{qs}`: relevance");
            } else {
                assert!(
                    item.get("relevance").is_none(),
                    "`{qs}`: relevance when not sorted by it"
                );
            }
            match q.near {
                None => assert!(item.get("distance_km").is_none(), "`{qs}`: distance"),
                Some(_) => match dist.get(id).copied().flatten() {
                    None => assert!(
                        item["distance_km"].is_null() && item["format"] == "online",
                        "`{qs}`: {item}"
                    ),
                    Some(d) => {
                        let vis = by_id[id].place.as_ref().unwrap().visibility;
                        let shown = item["distance_km"].as_f64().expect("a distance");
                        let ok = [d, d + 1e-9, d - 1e-9]
                            .iter()
                            .any(|d| (shown_distance(*d, vis) - shown).abs() < 1e-9);
                        assert!(ok, "`{qs}`: {id} ({vis}) shows {shown} for {d} km");
                        if vis == "on_request" {
                            assert!(shown >= 1.0 && shown.fract() == 0.0, "{shown}");
                        }
                    }
                },
            }
        }

        // Totals and facets, on a fresh first page.
        if q.extras {
            let page = app
                .get(&format!(
                    "/v1/groups?{qs}&include_total=true&facets=topic,format,language"
                ))
                .await
                .expect(200);
            requests += 1;
            assert_eq!(page["data"], first["data"], "`{qs}`: the same first page");
            assert_eq!(page["total"], expected.len(), "`{qs}`: total");
            let mut facets: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
            for (g, _) in &expected {
                for t in &g.topics {
                    *facets
                        .entry("topic")
                        .or_default()
                        .entry(t.to_string())
                        .or_default() += 1;
                }
                *facets
                    .entry("format")
                    .or_default()
                    .entry(g.format.to_string())
                    .or_default() += 1;
                for l in &g.languages {
                    *facets
                        .entry("language")
                        .or_default()
                        .entry(l.to_string())
                        .or_default() += 1;
                }
            }
            for f in ["topic", "format", "language"] {
                let want = json!(facets.get(f).cloned().unwrap_or_default());
                assert_eq!(page["facets"][f], want, "`{qs}`: facet {f}");
            }
        } else {
            assert!(first.get("total").is_none() && first.get("facets").is_none());
        }
    }
    slow.sort();
    for s in slow.iter().rev().take(5) {
        println!("slowest: {:.1?} for {} pages of `{}`", s.0, s.1, s.2);
    }
    println!("sorts: {shapes:?}; {empty} queries matched nothing");
    println!(
        "discovery property test on {:?}: {n} groups seeded in {:.1?}, {queries} queries ({requests} requests) in {:.1?}",
        app.backend,
        seeded,
        started.elapsed() - seeded
    );
}

// --- The full-text index follows every write -----------------------------------------

async fn found(app: &TestApp, q: &str) -> Vec<String> {
    let path = format!(
        "q={}",
        url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    app.list_ids(&path).await
}

#[tokio::test]
async fn the_search_index_follows_every_write() {
    let app = spawn_app().await;
    let org = app.org("Tamarisk Friends").await;
    let id = app
        .published_group(
            &org.token,
            json!({"name": "Zephyr circle", "summary": "Evenings by the fire.",
                   "description": "We read poems aloud.", "topics": ["grief"]}),
        )
        .await;
    let only = vec![id.clone()];
    for q in [
        "zephyr",
        "Zephyrs",
        "zeph",
        "evening",
        "fire",
        "poem",
        "aloud",
        "grief",
        "loss",
        "tamarisk",
        "circle zephyr",
    ] {
        assert_eq!(found(&app, q).await, only, "q={q} after create");
    }
    assert!(found(&app, "anxiety").await.is_empty());
    let path = format!("/v1/groups/{id}");

    // PUT (replace): the old name is gone, the new one found.
    let body = group_body(
        json!({"name": "Marigold circle", "summary": "Evenings by the fire.",
                                  "topics": ["grief"], "status": "published"}),
    );
    app.put(&path, &org.token, &body).await.expect(200);
    assert!(
        found(&app, "zephyr").await.is_empty(),
        "the old name after PUT"
    );
    assert!(
        found(&app, "poems").await.is_empty(),
        "the dropped description after PUT"
    );
    assert_eq!(found(&app, "marigold").await, only);

    // PATCH: name, summary, description, topics.
    app.patch(&path, &org.token, &json!({"name": "Saffron circle"}))
        .await
        .expect(200);
    assert!(
        found(&app, "marigold").await.is_empty(),
        "the old name after PATCH"
    );
    assert_eq!(found(&app, "saffron").await, only);
    app.patch(
        &path,
        &org.token,
        &json!({"summary": "Juniper tea.", "description": "Sequoia walks."}),
    )
    .await
    .expect(200);
    assert!(found(&app, "fire").await.is_empty());
    assert_eq!(found(&app, "juniper").await, only);
    assert_eq!(found(&app, "sequoia walking").await, only);
    app.patch(&path, &org.token, &json!({"topics": ["loneliness"]}))
        .await
        .expect(200);
    assert!(
        found(&app, "grief").await.is_empty(),
        "the old topic's label"
    );
    assert_eq!(
        found(&app, "isolation").await,
        only,
        "the new topic's label"
    );
    assert_eq!(found(&app, "lonely").await, only, "stemming of the label");

    // Unpublish, publish again, archive.
    app.patch(&path, &org.token, &json!({"status": "draft"}))
        .await
        .expect(200);
    assert!(
        found(&app, "saffron").await.is_empty(),
        "a draft is not found"
    );
    app.patch(&path, &org.token, &json!({"status": "published"}))
        .await
        .expect(200);
    assert_eq!(found(&app, "saffron").await, only, "published again");
    app.patch(&path, &org.token, &json!({"status": "archived"}))
        .await
        .expect(200);
    assert!(found(&app, "saffron").await.is_empty(), "archived");
    app.patch(&path, &org.token, &json!({"status": "published"}))
        .await
        .expect(200);

    // Delete.
    app.delete(&path, &org.token).await.expect(204);
    assert!(found(&app, "saffron").await.is_empty(), "deleted");

    // Bulk sync: create, rename, unpublish, delete.
    let synced = |name: &str, status: &str| {
        group_body(json!({"external_id": "s-1", "name": name, "status": status,
                          "topics": ["trauma"]}))
    };
    let sync = |body: Value| {
        let app = &app;
        let token = org.token.clone();
        async move { app.post("/v1/sync/groups", &token, &body).await.expect(200) }
    };
    let r = sync(json!({"upsert": [synced("Kumquat evenings", "published")]})).await;
    let sid = r["results"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(found(&app, "kumquat").await, vec![sid.clone()]);
    sync(json!({"upsert": [synced("Persimmon evenings", "published")]})).await;
    assert!(found(&app, "kumquat").await.is_empty(), "renamed by sync");
    assert_eq!(found(&app, "persimmon").await, vec![sid.clone()]);
    assert_eq!(found(&app, "evening trauma").await, vec![sid.clone()]);
    sync(json!({"upsert": [synced("Persimmon evenings", "draft")]})).await;
    assert!(
        found(&app, "persimmon").await.is_empty(),
        "unpublished by sync"
    );
    sync(json!({"upsert": [synced("Persimmon evenings", "published")]})).await;
    assert_eq!(found(&app, "persimmon").await, vec![sid.clone()]);
    let r = sync(json!({"delete": ["s-1"]})).await;
    assert_eq!(r["counts"]["deleted"], 1, "{r}");
    assert!(found(&app, "persimmon").await.is_empty(), "deleted by sync");

    // Upsert by external id (PUT).
    let put = |name: &str| group_body(json!({"name": name, "status": "published"}));
    let r = app
        .put(
            "/v1/groups/by-external-id/p-1",
            &org.token,
            &put("Quince mornings"),
        )
        .await
        .expect(201);
    let pid = r["id"].as_str().unwrap().to_owned();
    assert_eq!(found(&app, "quince").await, vec![pid.clone()]);
    app.put(
        "/v1/groups/by-external-id/p-1",
        &org.token,
        &put("Medlar mornings"),
    )
    .await
    .expect(200);
    assert!(found(&app, "quince").await.is_empty());
    assert_eq!(found(&app, "medlar").await, vec![pid]);
}

#[tokio::test]
async fn renaming_an_organization_reindexes_its_groups() {
    let app = spawn_app().await;
    let org = app.org("Tamarisk Friends").await;
    let id = app
        .published_group(&org.token, json!({"name": "Zephyr circle"}))
        .await;
    assert_eq!(found(&app, "tamarisk").await, vec![id.clone()]);
    app.patch(
        &format!("/v1/organizations/{}", org.id),
        &org.token,
        &json!({"name": "Oleander Friends"}),
    )
    .await
    .expect(200);
    let listed = app.get(&format!("/v1/groups/{id}")).await.expect(200);
    assert_eq!(listed["organization"]["name"], "Oleander Friends");
    assert_eq!(
        found(&app, "oleander").await,
        vec![id.clone()],
        "the group is found by its organization's new name"
    );
    assert!(
        found(&app, "tamarisk").await.is_empty(),
        "and no longer by the old one"
    );
}

// --- Hidden places stay hidden ----------------------------------------------------------

#[tokio::test]
async fn hidden_places_never_leak_through_search() {
    let app = spawn_app().await;
    let org = app.org("Heron Trust").await;
    // (visibility, street, postal code, room, lat, lon)
    let hidden: [(&str, &str, &str, &str, f64, f64); 3] = [
        (
            "on_request",
            "17 Wisteria Lane",
            "N1 9ZZ",
            "The Blue Vestry",
            51.53621,
            -0.10347,
        ),
        (
            "area_only",
            "42 Quillfeather Mews",
            "M4 6QQ",
            "Upper Loft Room",
            53.48213,
            -2.24187,
        ),
        (
            "on_request",
            "9 Larkspur Yard",
            "LS2 8XY",
            "Basement Den",
            53.80076,
            -1.54934,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (vis, street, postal, room, lat, lon)) in hidden.iter().enumerate() {
        let format = if i == 2 { "hybrid" } else { "in_person" };
        let mut body = in_person_body(json!({
            "name": format!("Heron circle {i}"),
            "format": format,
            "status": "published",
            "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TU", "starts_at": "2028-01-04T18:00:00",
                         "timezone": "Europe/London", "duration_minutes": 90},
            "location": {"visibility": vis, "name": room, "street_address": street,
                         "postal_code": postal, "locality": "Townsville", "country": "GB",
                         "latitude": lat, "longitude": lon}
        }));
        if format == "hybrid" {
            merge(
                &mut body,
                &json!({"online": {"platform": "Jitsi", "join_url": "https://meet.jit.si/heron-x"}}),
            );
        }
        ids.push(
            app.create_group(&org.token, &body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // A public neighbour, so that the lists are not empty for other reasons.
    app.published_group(&org.token, json!({"name": "Heron online"}))
        .await;

    let mut secrets: Vec<String> = Vec::new();
    for (_, street, postal, room, lat, lon) in &hidden {
        secrets.extend([street.to_string(), postal.to_string(), room.to_string()]);
        secrets.push(street.split(' ').nth(1).unwrap().to_owned());
        // As JSON prints them, and the first four decimals.
        secrets.push(format!("{lat}"));
        secrets.push(format!("{}", lon.abs()));
        secrets.push(format!("{lat:.4}"));
        secrets.push(format!("{:.4}", lon.abs()));
    }
    let check = |what: &str, text: &str| {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{what} leaks `{s}`: {text}");
        }
    };

    let mut paths: Vec<String> = vec![
        "/v1/groups?limit=100".into(),
        "/v1/changes?limit=100".into(),
    ];
    for sort in ["created", "name", "updated", "next_meeting", "relevance"] {
        paths.push(format!(
            "/v1/groups?q=heron&sort={sort}&facets=topic,format,language&include_total=true"
        ));
    }
    for id in &ids {
        paths.push(format!("/v1/groups/{id}"));
        paths.push(format!("/v1/groups/{id}/calendar.ics"));
    }
    paths.push(format!("/v1/organizations/{}/calendar.ics", org.slug));
    paths.push("/v1/events.ics".into());
    for (vis, _, _, _, lat, lon) in &hidden {
        let (clat, clon) = (
            ((lat / 0.1_f64).floor() + 0.5) * 0.1,
            ((lon / 0.1_f64).floor() + 0.5) * 0.1,
        );
        let to_centre = haversine(*lat, *lon, clat, clon);
        assert!(to_centre > 0.5, "the test place is not at its cell centre");
        for sort in ["distance", "name", "created", "updated", "next_meeting"] {
            for radius in [0.1, 0.5] {
                let path = format!(
                    "/v1/groups?near={lat},{lon}&radius_km={radius}&sort={sort}&include_online=true"
                );
                let page = app.get(&path).await;
                check(&path, &page.text);
                let page = page.expect(200);
                for item in page["data"].as_array().unwrap() {
                    assert!(
                        item["distance_km"].is_null(),
                        "{path}: a hidden place is found at its street: {item}"
                    );
                }
            }
        }
        // Far enough to reach the cell centre: the distance is to the centre.
        let path = format!("/v1/groups?near={lat},{lon}&radius_km=20&q=heron");
        let page = app.get(&path).await;
        check(&path, &page.text);
        let page = page.expect(200);
        let item = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| {
                g["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Heron circle"))
            })
            .cloned()
            .unwrap_or_else(|| panic!("{path}: the hidden group: {page}"));
        let d = haversine(*lat, *lon, clat, clon);
        let shown = item["distance_km"].as_f64().expect("a distance");
        assert_eq!(shown, shown_distance(d, vis), "{path}: {item}");
        assert!(shown > 0.0, "{path}: not at distance 0");
        if *vis == "on_request" {
            assert!(shown >= 1.0 && shown.fract() == 0.0, "{path}: {shown}");
        }
        // At the cell centre itself: 0.0 for area_only, 1 for on_request.
        let path = format!("/v1/groups?near={clat},{clon}&radius_km=0.1");
        let page = app.get(&path).await;
        check(&path, &page.text);
        let page = page.expect(200);
        let data = page["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{path}: {page}");
        let want = if *vis == "on_request" { 1.0 } else { 0.0 };
        assert_eq!(data[0]["distance_km"], json!(want), "{path}");
        paths.push(format!(
            "/v1/groups?near={clat},{clon}&radius_km=3&facets=format"
        ));
    }
    for path in &paths {
        let reply = app.get(path).await;
        assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
        check(path, &reply.text);
    }
    // The organization itself still sees its street.
    let own = app
        .get_auth(&format!("/v1/groups/{}", ids[0]), &org.token)
        .await;
    assert!(own.text.contains("Wisteria"), "the owner sees the address");
}

// --- Query plans ---------------------------------------------------------------------------

#[tokio::test]
async fn every_search_shape_is_index_driven() {
    use circles::groups::search::{explain, GroupSearch, GroupSort, MeetsWhen};
    use circles::pagination::{Cursor, PageRequest};
    use circles::search::{Keywords, Near};
    use circles::vocab::Format;

    let app = spawn_app().await;
    let org = app.org("Plan Makers").await;
    let mut rng = Rng::new(7);
    // Enough rows for the planners' choices to mean something. (With up
    // to a few thousand groups PostgreSQL still prefers walking the
    // published groups and filtering `@@` over the GIN index; the plan is
    // printed, not asserted.)
    let groups = generate(&mut rng, 2000);
    for chunk in groups.chunks(1000) {
        let batch: Vec<Value> = chunk.iter().map(G::body).collect();
        app.post("/v1/sync/groups", &org.token, &json!({ "upsert": batch }))
            .await
            .expect(200);
    }

    let kw = |q: &str| Keywords::parse(q).unwrap();
    let near = |r: f64| Some(Near::parse("51.5074,-0.1278", Some(r)).unwrap());
    let base = GroupSearch::default;
    let shapes: Vec<(&str, GroupSearch, Option<Cursor>)> = vec![
        ("default (created)", base(), None),
        (
            "created, page 2",
            base(),
            Some(Cursor::after("01900000-0000-7000-8000-000000000000")),
        ),
        (
            "q (relevance)",
            GroupSearch {
                keywords: kw("lantern"),
                ..base()
            },
            None,
        ),
        (
            "q two words + prefix",
            GroupSearch {
                keywords: kw("harbor lan"),
                ..base()
            },
            None,
        ),
        (
            "q, sort=name",
            GroupSearch {
                keywords: kw("river"),
                sort: Some(GroupSort::Name),
                ..base()
            },
            None,
        ),
        (
            "near (distance)",
            GroupSearch {
                near: near(10.0),
                ..base()
            },
            None,
        ),
        (
            "near 500 km",
            GroupSearch {
                near: near(500.0),
                ..base()
            },
            None,
        ),
        (
            "near + include_online",
            GroupSearch {
                near: near(10.0),
                include_online: true,
                ..base()
            },
            None,
        ),
        (
            "near + q",
            GroupSearch {
                near: near(25.0),
                keywords: kw("garden"),
                ..base()
            },
            None,
        ),
        (
            "sort=name",
            GroupSearch {
                sort: Some(GroupSort::Name),
                ..base()
            },
            None,
        ),
        (
            "sort=name, page 2",
            GroupSearch {
                sort: Some(GroupSort::Name),
                ..base()
            },
            Some(Cursor {
                after_id: "01900000-0000-7000-8000-000000000000".into(),
                key: Some("m".into()),
                sort: Some("name".into()),
            }),
        ),
        (
            "sort=updated",
            GroupSearch {
                sort: Some(GroupSort::Updated),
                ..base()
            },
            None,
        ),
        (
            "sort=next_meeting",
            GroupSearch {
                sort: Some(GroupSort::NextMeeting),
                ..base()
            },
            None,
        ),
        (
            "topic",
            GroupSearch {
                topics: Some(vec![Topic::Grief]),
                ..base()
            },
            None,
        ),
        (
            "format",
            GroupSearch {
                formats: Some(vec![Format::Online]),
                ..base()
            },
            None,
        ),
        (
            "language",
            GroupSearch {
                languages: Some(vec!["es".into()]),
                ..base()
            },
            None,
        ),
        (
            "organization",
            GroupSearch {
                organizations: Some(vec![org.slug.clone()]),
                ..base()
            },
            None,
        ),
        (
            "day + time",
            GroupSearch {
                meets: MeetsWhen::parse(Some("mon,wed"), Some("18:00"), Some("21:00")).unwrap(),
                ..base()
            },
            None,
        ),
        (
            "timezone",
            GroupSearch {
                timezone: Some("Asia/Tokyo".into()),
                ..base()
            },
            None,
        ),
        (
            "starts_before",
            GroupSearch {
                starts_between: Some((
                    Utc::now().date_naive(),
                    NaiveDate::from_ymd_opt(2028, 3, 1).unwrap(),
                )),
                ..base()
            },
            None,
        ),
    ];
    let mut conn = app.pool.get().expect("a connection");
    let mut failures = Vec::new();
    // SQLite as the service runs it, then with statistics; PostgreSQL with
    // statistics (autovacuum gathers them in production) and sequential
    // scans off, so that small tables still show which index a shape can use.
    let passes: &[(&str, &str)] = match app.backend {
        Backend::Sqlite => &[("no statistics", ""), ("after ANALYZE", "ANALYZE")],
        Backend::Postgres => &[(
            "after ANALYZE, enable_seqscan off",
            "ANALYZE; SET enable_seqscan = off",
        )],
    };
    for (pass, setup) in passes {
        if !setup.is_empty() {
            use diesel::connection::SimpleConnection;
            conn.batch_execute(setup).unwrap();
        }
        for (what, search, cursor) in &shapes {
            let page = PageRequest {
                limit: 20,
                cursor: cursor.clone(),
            };
            let plan =
                explain(&mut conn, search, &page).unwrap_or_else(|e| panic!("{what}: {e:?}"));
            println!("--- {what} ({:?}, {pass})", app.backend);
            for line in &plan {
                println!("    {line}");
            }
            // The index each backend must pick for the shapes that have one
            // obvious index (others only must not scan the table).
            let wanted = match (app.backend, *what) {
                (Backend::Sqlite, w) if w.starts_with("q") => Some("VIRTUAL TABLE"),
                (Backend::Sqlite, "sort=name" | "sort=name, page 2") => {
                    Some("support_groups_by_name")
                }
                (Backend::Sqlite, "sort=next_meeting") => Some("support_groups_by_next_meeting"),
                (Backend::Postgres, "near (distance)" | "near + q") => Some("support_groups_geo"),
                (Backend::Postgres, "sort=name" | "sort=name, page 2") => {
                    Some("support_groups_by_name")
                }
                (Backend::Postgres, "sort=next_meeting") => Some("support_groups_by_next_meeting"),
                _ => None,
            };
            if let Some(index) = wanted {
                if !plan.iter().any(|l| l.contains(index)) {
                    failures.push(format!("{what} ({pass}) does not use {index}"));
                }
            }
            // `include_online` adds every online group, a third of the
            // directory here: after ANALYZE, SQLite rightly prefers one pass
            // over the table to a third of it read through an index.
            let whole_share = *what == "near + include_online" && !setup.is_empty();
            let ok = match app.backend {
                Backend::Sqlite if whole_share => true,
                Backend::Sqlite => plan.iter().all(|l| {
                    let l = l.trim();
                    !(l == "SCAN g"
                        || l.starts_with("SCAN g ")
                        || l.starts_with("SCAN support_groups"))
                        || l.contains("USING INDEX")
                        || l.contains("USING COVERING INDEX")
                }),
                Backend::Postgres => {
                    plan.iter()
                        .all(|l| !l.contains("Seq Scan on support_groups"))
                        && plan
                            .iter()
                            .any(|l| l.contains("Index") || l.contains("Bitmap"))
                }
            };
            if !ok {
                failures.push(format!("{what} ({pass}):\n{}", plan.join("\n")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "full scans of support_groups:\n{}",
        failures.join("\n\n")
    );
}

// --- Refusals -------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_discovery_queries_are_refused() {
    let app = spawn_app().await;
    let org = app.org("Refusers").await;
    for i in 0..3 {
        app.published_group(&org.token, json!({"name": format!("Lantern {i}")}))
            .await;
    }
    let long_q = "a".repeat(201);
    let cases: Vec<(String, &str)> = vec![
        ("near=abc".into(), "near"),
        ("near=51.5".into(), "near"),
        ("near=91,0".into(), "near"),
        ("near=0,181".into(), "near"),
        ("near=NaN,0".into(), "near"),
        ("near=51.5,-0.1&radius_km=0".into(), "radius_km"),
        ("near=51.5,-0.1&radius_km=501".into(), "radius_km"),
        ("near=51.5,-0.1&radius_km=-3".into(), "radius_km"),
        ("radius_km=5".into(), "radius_km"),
        ("include_online=true".into(), "include_online"),
        ("sort=relevance".into(), "sort"),
        ("q=the&sort=relevance".into(), "sort"),
        ("sort=distance".into(), "sort"),
        ("sort=nearest".into(), "sort"),
        ("time_from=18:00&time_to=18:00".into(), "time_to"),
        ("time_from=20:00&time_to=09:00".into(), "time_to"),
        ("time_from=25:00".into(), "time_from"),
        ("time_to=7pm".into(), "time_to"),
        ("day=funday".into(), "day"),
        ("day=mon,xyz".into(), "day"),
        ("timezone=Mars/Olympus".into(), "timezone"),
        ("timezone=%2B02:00".into(), "timezone"),
        ("facets=topic,colour".into(), "facets"),
        (format!("q={long_q}"), "q"),
        ("starts_before=tomorrow".into(), "starts_before"),
    ];
    for (query, field) in &cases {
        let reply = app.get(&format!("/v1/groups?{query}")).await;
        assert_eq!(reply.status.as_u16(), 400, "{query}: {}", reply.text);
        let body = reply.json();
        let text = body.to_string();
        assert!(
            text.contains(field),
            "{query}: the problem names `{field}`: {text}"
        );
    }
    // 200 characters is fine; `time_to=00:00` is midnight at the end of the day.
    app.get(&format!("/v1/groups?q={}", "a".repeat(200)))
        .await
        .expect(200);
    app.get("/v1/groups?time_from=18:00&time_to=00:00")
        .await
        .expect(200);

    // A cursor belongs to its sort.
    let page = app.get("/v1/groups?sort=name&limit=1").await.expect(200);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    for other in ["created", "updated", "next_meeting"] {
        app.get(&format!("/v1/groups?sort={other}&limit=1&cursor={cursor}"))
            .await
            .problem(400, "invalid_cursor");
    }
    app.get(&format!("/v1/groups?limit=1&cursor={cursor}"))
        .await
        .problem(400, "invalid_cursor");
    app.get(&format!("/v1/groups?q=lantern&limit=1&cursor={cursor}"))
        .await
        .problem(400, "invalid_cursor");
    app.get(&format!("/v1/groups?sort=name&limit=1&cursor={cursor}"))
        .await
        .expect(200);
    let page = app.get("/v1/groups?q=lantern&limit=1").await.expect(200);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    app.get(&format!(
        "/v1/groups?q=lantern&sort=name&limit=1&cursor={cursor}"
    ))
    .await
    .problem(400, "invalid_cursor");
    let page = app
        .get("/v1/groups?near=51.5,-0.1&radius_km=50&limit=1")
        .await
        .expect(200);
    assert!(page["next_cursor"].is_null(), "online groups have no place");
}

/// `q` on events and resources: matches are ranked, drafts never appear,
/// renames move the index, and resources keep crisis lines first.
#[tokio::test]
async fn keyword_search_on_events_and_resources() {
    let app = spawn_app().await;
    let org = app.org("Saffron Collective").await;
    let best = app
        .published_event(
            &org.token,
            json!({"name": "Marigold marigold walk", "summary": "A marigold morning."}),
        )
        .await;
    let other = app
        .published_event(
            &org.token,
            json!({"name": "Evening social", "description": "Bring a marigold."}),
        )
        .await;
    let draft = app
        .create_event(
            &org.token,
            &crate::helpers::event_body(json!({"name": "Marigold draft"})),
        )
        .await;
    let found = app.get("/v1/events?q=marigold").await.expect(200);
    let ids: Vec<&str> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![best["id"].as_str().unwrap(), other["id"].as_str().unwrap()],
        "{found}"
    );
    assert!(!ids.contains(&draft["id"].as_str().unwrap()));
    // Pages of a ranked list follow the rank.
    let first = app.get("/v1/events?q=marigo&limit=1").await.expect(200);
    assert_eq!(first["data"][0]["id"], best["id"]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!("/v1/events?q=marigo&limit=1&cursor={cursor}"))
        .await
        .expect(200);
    assert_eq!(second["data"][0]["id"], other["id"]);
    assert!(second["next_cursor"].is_null());
    // Found by the organization's name too; a rename moves the index.
    assert_eq!(
        app.get("/v1/events?q=saffron").await.expect(200)["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let path = format!("/v1/events/{}", other["id"].as_str().unwrap());
    app.patch(&path, &org.token, &json!({"name": "Evening quince social"}))
        .await
        .expect(200);
    let q = app.get("/v1/events?q=quince").await.expect(200);
    assert_eq!(q["data"][0]["id"], other["id"]);

    let resource = |name: &str, crisis: bool| {
        json!({"name": name, "url": "https://example.org/help", "kind": if crisis { "hotline" } else { "guide" },
               "crisis": crisis, "topics": ["grief"], "status": "published"})
    };
    let guide = app
        .post(
            "/v1/resources",
            &org.token,
            &resource("Juniper juniper guide", false),
        )
        .await
        .expect(201);
    let line = app
        .post("/v1/resources", &org.token, &resource("Juniper line", true))
        .await
        .expect(201);
    app.post(
        "/v1/resources",
        &org.token,
        &resource("Unrelated guide", false),
    )
    .await
    .expect(201);
    let found = app.get("/v1/resources?q=junip").await.expect(200);
    let ids: Vec<&Value> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(
        ids,
        vec![&line["id"], &guide["id"]],
        "crisis lines first: {found}"
    );
    // Topic labels are searchable ("Grief and loss").
    assert_eq!(
        app.get("/v1/resources?q=loss").await.expect(200)["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let first = app.get("/v1/resources?q=juniper&limit=1").await.expect(200);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!("/v1/resources?q=juniper&limit=1&cursor={cursor}"))
        .await
        .expect(200);
    assert_eq!(second["data"][0]["id"], guide["id"]);
    // A cursor of the unranked list does not fit the ranked one.
    let plain = app.get("/v1/resources?limit=1").await.expect(200);
    let cursor = plain["next_cursor"].as_str().unwrap().to_owned();
    app.get(&format!("/v1/resources?q=juniper&cursor={cursor}"))
        .await
        .problem(400, "invalid_cursor");
}

/// The response cache: a repeated public read is answered from memory (a
/// write made behind the service's back stays unseen until the entry
/// expires), a write through the API empties it at once, `If-None-Match`
/// works on a hit, and private (token) reads are never cached.
#[tokio::test]
async fn public_reads_are_cached_until_a_write() {
    let app = crate::helpers::spawn_app_with(|c| c.response_cache_seconds = 30).await;
    let org = app.org("Cedar Commons").await;
    let gid = app
        .published_group(&org.token, json!({"name": "Cedar walk"}))
        .await;
    let first = app.get("/v1/organizations?limit=100").await;
    let etag = first.header("etag").expect("an ETag");
    let before = names(&first.expect(200));
    // Written beside the service (as the admin CLI does): not seen yet.
    app.create_org(
        "Sideways Trust",
        circles::vocab::OrganizationKind::Nonprofit,
    );
    let cached = app.get("/v1/organizations?limit=100").await;
    assert_eq!(cached.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(
        names(&cached.expect(200)),
        before,
        "a repeated read is served from the cache"
    );
    // If-None-Match on a hit.
    let res = app
        .client
        .get(app.url("/v1/organizations?limit=100"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 304);
    // A token's read is private and never cached.
    let private = app
        .get_auth("/v1/organizations?limit=100", &org.token)
        .await
        .expect(200);
    assert!(names(&private).contains(&"Sideways Trust".to_owned()));
    // Any write through the API empties the cache.
    app.patch(
        &format!("/v1/groups/{gid}"),
        &org.token,
        &json!({"name": "Cedar walk (Thursdays)"}),
    )
    .await
    .expect(200);
    let fresh = names(&app.get("/v1/organizations?limit=100").await.expect(200));
    assert!(fresh.contains(&"Sideways Trust".to_owned()), "{fresh:?}");
    let group = app.get(&format!("/v1/groups/{gid}")).await.expect(200);
    assert_eq!(group["name"], "Cedar walk (Thursdays)");
    let q = app.get("/v1/groups?q=thursdays").await.expect(200);
    assert_eq!(q["data"][0]["id"], gid.as_str());
}

/// Past its time, a cached answer is still given at once while it is
/// recomputed behind the request (for at most as long again): nobody waits
/// for the recompute, and the next requests get the new answer.
#[tokio::test]
async fn a_cached_answer_past_its_time_is_recomputed_in_the_background() {
    let app = crate::helpers::spawn_app_with(|c| c.response_cache_seconds = 1).await;
    let path = "/v1/organizations?limit=100";
    let before = names(&app.get(path).await.expect(200));
    // Written beside the service: the cache cannot know.
    app.create_org(
        "Lantern Collective",
        circles::vocab::OrganizationKind::Grassroots,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        names(&app.get(path).await.expect(200)),
        before,
        "past its time, the previous answer is still given"
    );
    let mut seen = false;
    for _ in 0..50 {
        if names(&app.get(path).await.expect(200)).contains(&"Lantern Collective".to_owned()) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        seen,
        "the recomputed answer replaces it within the grace period"
    );
}
