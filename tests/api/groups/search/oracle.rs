//! The brute-force evaluation of a search (`Q::matches`), random queries, and
//! a walk over every page of an answer.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use circles::vocab::{Topic, Vocabulary};
use serde_json::Value;

use crate::helpers::{Rng, TestApp};

use super::generator::{
    capitalize, haversine, pick, CITIES, DAYS, G, HALLS, LANGUAGES, PREFIXES, TIMEZONES, WORDS,
};

#[derive(Debug, Clone, Default)]
pub struct Q {
    pub q: Option<String>,
    pub topic: Option<Vec<&'static str>>,
    pub format: Option<Vec<&'static str>>,
    pub language: Option<Vec<&'static str>>,
    pub organization: Option<(usize, String)>,
    pub accepting: Option<bool>,
    pub near: Option<(f64, f64)>,
    pub radius: Option<f64>,
    pub include_online: bool,
    pub days: Option<Vec<u32>>,
    pub time_from: Option<u32>,
    pub time_to: Option<u32>,
    pub starts_before: Option<NaiveDate>,
    pub timezone: Option<&'static str>,
    pub enrollment: Option<&'static str>,
    pub sort: Option<&'static str>,
    pub limit: usize,
    pub extras: bool,
}

pub const STOP: &[&str] = &["the", "and", "for", "of", "a"];

/// Every word is one of `tokens`; the last may be the start of one.
pub fn all_words_in(words: &[String], tokens: &BTreeSet<String>) -> bool {
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
    pub fn words(&self) -> Vec<String> {
        self.q
            .as_deref()
            .unwrap_or("")
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .filter(|w| !STOP.contains(&w.as_str()))
            .collect()
    }

    pub fn effective_sort(&self) -> &'static str {
        self.sort.unwrap_or(if !self.words().is_empty() {
            "relevance"
        } else if self.near.is_some() {
            "distance"
        } else {
            "created"
        })
    }

    pub fn query_string(&self) -> String {
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

    pub fn radius_km(&self) -> f64 {
        self.radius.unwrap_or(25.0)
    }

    /// Whether `g` matches, and its exact distance (with `near`).
    pub fn matches(&self, g: &G, today: NaiveDate) -> Option<Option<f64>> {
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
pub struct Seen {
    pub id: String,
    pub updated_at: DateTime<Utc>,
}

pub fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// Every page of `/v1/groups?{query}`: the items, and the first page.
pub async fn walk(app: &TestApp, query: &str, limit: usize) -> (Vec<Value>, Value, usize) {
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

pub fn random_query(rng: &mut Rng, groups: &[G], orgs: &[(String, String)]) -> Q {
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
