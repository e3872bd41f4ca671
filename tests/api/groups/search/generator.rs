//! The seeded generator of groups: a controlled vocabulary, the model of a
//! group (`G`) with what search should make of it, and `generate`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use circles::vocab::{Topic, Vocabulary};
use serde_json::{json, Value};

use crate::helpers::Rng;

use super::oracle::all_words_in;

// --- The controlled vocabulary ------------------------------------------------

/// Words of names, summaries, descriptions and organization names: each is
/// its own (Porter and Snowball) stem, none is a stop word, and no two share
/// a stem or a first three letters with a topic label's word.
pub const WORDS: &[&str] = &[
    "harbor", "cedar", "walk", "tea", "river", "lantern", "garden", "quiet", "meadow", "willow",
    "anchor", "orchard", "summit", "falcon", "beacon", "island", "violet", "compass", "amber",
    "juniper",
];

/// Prefixes searched as the last word (type-ahead): consonant-final, so
/// neither stemmer changes them.
pub const PREFIXES: &[&str] = &[
    "harb", "ced", "wal", "riv", "lan", "lant", "gard", "qui", "mead", "wil", "anch", "orch",
    "summ", "falc", "beac", "isl", "viol", "comp", "amb", "jun",
];

/// Words in some names that are never searched (diacritics fold differently
/// on the two backends): they only test `sort=name` on non-ASCII names.
pub const OTHER_WORDS: &[&str] = &["Über", "Ærø", "élan", "Zoë", "ångström"];

pub const ORG_NAMES: &[&str] = &["Cedar Anchor", "Willow Beacon", "Falcon Meadow"];

pub const TIMEZONES: &[&str] = &[
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
];

pub const LANGUAGES: &[&str] = &["en", "es", "fr", "de", "pl", "cy"];

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub const BYDAY: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

pub const STAGES: &[&str] = &[
    "moratorium",
    "awareness",
    "preparation",
    "rebuilding",
    "growth",
];

pub const SUPPORT: &[&str] = &["emotional", "informational", "companionship", "validation"];

pub const FACILITATION: &[&str] = &["peer_led", "professional", "co_facilitated"];

/// City centres, and halls where several groups meet at the very same spot.
pub const CITIES: &[(f64, f64)] = &[
    (51.5074, -0.1278),
    (53.4808, -2.2426),
    (53.8008, -1.5491),
    (51.4545, -2.5879),
];

pub const HALLS: &[(f64, f64)] = &[
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
pub struct Place {
    pub visibility: &'static str,
    pub coords: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct Sched {
    /// ISO weekdays (1 = Monday).
    pub days: Vec<u32>,
    pub starts_at: NaiveDateTime,
    pub tz: &'static str,
    pub duration: u32,
}

#[derive(Debug, Clone)]
pub struct G {
    pub ext: String,
    pub org: usize,
    pub name: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub topics: Vec<&'static str>,
    pub format: &'static str,
    pub cohort: Option<(NaiveDate, NaiveDate)>,
    pub facilitation: &'static str,
    pub languages: Vec<&'static str>,
    pub stages: Vec<&'static str>,
    pub support: Vec<&'static str>,
    pub accepting: bool,
    pub place: Option<Place>,
    pub schedule: Option<Sched>,
    pub status: &'static str,
}

impl G {
    pub fn published(&self) -> bool {
        self.status == "published"
    }

    pub fn body(&self) -> Value {
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
    pub fn tokens(&self) -> BTreeSet<String> {
        self.tokens_of(&[
            Some(self.name.as_str()),
            self.summary.as_deref(),
            self.description.as_deref(),
            Some(ORG_NAMES[self.org]),
        ])
    }

    /// The relevance tier of a match for `words`: 3 when every word is in
    /// the name, 2 in the name or summary, 1 otherwise.
    pub fn tier(&self, words: &[String]) -> i64 {
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

    pub fn tokens_of(&self, texts: &[Option<&str>]) -> BTreeSet<String> {
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
    pub fn placement(&self) -> Option<(f64, f64)> {
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

    pub fn has_meetings(&self) -> bool {
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
    pub fn next_meeting(&self) -> Option<DateTime<Utc>> {
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
    pub fn slots(&self) -> Vec<(u32, u32, u32)> {
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

pub fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let dlat = (lat2 - lat1).to_radians() / 2.0;
    let dlon = (lon2 - lon1).to_radians() / 2.0;
    let h = dlat.sin() * dlat.sin()
        + lat1.to_radians().cos() * lat2.to_radians().cos() * dlon.sin() * dlon.sin();
    2.0 * 6371.0088 * h.sqrt().min(1.0).asin()
}

pub fn shown_distance(km: f64, visibility: &str) -> f64 {
    if visibility == "on_request" {
        km.round().max(1.0)
    } else {
        (km * 10.0).round() / 10.0
    }
}

pub fn round5(x: f64) -> f64 {
    format!("{x:.5}").parse().unwrap()
}

pub fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub fn pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len())]
}

pub fn words(rng: &mut Rng, min: usize, max: usize) -> Vec<&'static str> {
    let n = min + rng.below(max - min + 1);
    (0..n).map(|_| *rng.pick(WORDS)).collect()
}

pub fn generate(rng: &mut Rng, n: usize) -> Vec<G> {
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
