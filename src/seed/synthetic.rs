//! `circles seed --synthetic N [--seed S]`: N deterministic, realistic
//! support groups with events (N/5) and resources (N/20) across a few
//! hundred organizations.
//!
//! Every item has its own random stream, derived from the seed, its kind and
//! its index, so an item's content depends only on (N, S): the same command
//! on a fresh database writes the same directory (ids and timestamps aside).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use fastrand::Rng;

use super::places::{self, City, CITIES};
use super::words;
use super::{anchor, expect_valid, SeedError, Summary};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::events::dto::EventWrite;
use crate::events::queries::Event;
use crate::groups::dto::{Cohort, GroupContact, GroupWrite, Schedule};
use crate::groups::queries::Group;
use crate::listing::{store, Listing};
use crate::listing::{Cost, Location, OnlineDetails};
use crate::organizations::dto::{OrganizationContact, OrganizationWrite, SocialLink};
use crate::resources::dto::ResourceWrite;
use crate::resources::queries::Resource;
use crate::vocab::*;

/// Groups (with their events and resources) written per transaction. A
/// multiple of 20, so a chunk's events (N/5) and resources (N/20) are whole.
pub const CHUNK: u64 = 1000;

/// Options of a synthetic run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub groups: u64,
    pub seed: u64,
    /// Print progress to stderr.
    pub progress: bool,
}

impl Options {
    pub fn organizations(&self) -> u64 {
        (self.groups / 25).clamp(3, 300)
    }
    pub fn events(&self) -> u64 {
        self.groups / 5
    }
    pub fn resources(&self) -> u64 {
        self.groups / 20
    }
    /// Slug of organization `i` (0-based).
    pub fn slug(&self, i: u64) -> String {
        format!("syn-{}-{}", self.seed, i + 1)
    }
}

/// An item's own random stream: splitmix64 over (seed, kind, index).
fn rng_for(seed: u64, kind: u64, index: u64) -> Rng {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(kind.wrapping_mul(0xD1B5_4A32_D192_ED03))
        .wrapping_add(index.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Rng::with_seed(z ^ (z >> 31))
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn weighted<T: Copy>(rng: &mut Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.u32(..total);
    for (v, w) in items {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn chance(rng: &mut Rng, percent: u32) -> bool {
    rng.u32(..100) < percent
}

/// The language text is written in for a city (its main language, or
/// English where that is not one of the text languages).
fn text_language(lang: &str) -> &'static str {
    words::TEXT_LANGUAGES
        .iter()
        .copied()
        .find(|l| *l == lang)
        .unwrap_or("en")
}

// ---------------------------------------------------------------------------
// Organizations

/// A generated organization and what its listings borrow from it.
pub struct OrgPlan {
    pub write: OrganizationWrite,
    pub city: &'static City,
    pub domain: String,
}

const COUNTRIES: &[&str] = &[
    "GB", "US", "DE", "FR", "ES", "CA", "NL", "PL", "IT", "PT", "AU", "BR", "IE", "MX", "NZ",
];

fn org_city(rng: &mut Rng, i: u64) -> &'static City {
    // The first organizations take one country each, so even a small run
    // spans many countries; later ones lean towards the big countries.
    let country = if (i as usize) < COUNTRIES.len() {
        COUNTRIES[i as usize]
    } else {
        pick(rng, CITIES).country
    };
    let in_country: Vec<&'static City> = CITIES.iter().filter(|c| c.country == country).collect();
    in_country[rng.usize(..in_country.len())]
}

fn org_name(rng: &mut Rng, city: &City, lang: &str) -> String {
    const TREES: &[&str] = &[
        "Ash", "Rowan", "Willow", "Hazel", "Alder", "Linden", "Birch", "Elder", "Juniper", "Holly",
    ];
    const WORDS: &[&str] = &[
        "Harbour",
        "Lantern",
        "Bridge",
        "Compass",
        "Hearth",
        "Open Door",
        "Kindred",
        "Tidewater",
        "Northstar",
        "Common Ground",
        "Safe Harbour",
        "Meadow",
        "Beacon",
        "Riverside",
        "Threshold",
    ];
    const KINDS: &[&str] = &[
        "Peer Network",
        "Collective",
        "Support Trust",
        "Circles",
        "Mind",
        "Foundation",
        "Peer Project",
        "Recovery Community",
    ];
    let c = city.name;
    match (lang, rng.u8(0..4)) {
        ("de", 0) => format!("Gemeinsam stark {c} e.V."),
        ("de", 1) => format!(
            "Selbsthilfe-Netzwerk {}",
            pick(rng, &["Lichtblick", "Brücke", "Anker", "Leuchtturm"])
        ),
        ("fr", 0) => format!(
            "Association {} {c}",
            pick(rng, &["Entraide", "Le Phare", "La Passerelle", "Horizons"])
        ),
        ("fr", 1) => format!(
            "Collectif {}",
            pick(
                rng,
                &["Paroles partagées", "Ensemble", "Le Fil", "Bienveillance"]
            )
        ),
        ("es", 0) => format!(
            "Asociación {} {c}",
            pick(rng, &["Faro", "Puente", "Abrazo", "Horizonte"])
        ),
        ("es", 1) => format!(
            "Red de Apoyo Mutuo {}",
            pick(rng, &["Alba", "Brújula", "Raíces", "Encuentro"])
        ),
        ("nl", 0) => format!(
            "Stichting {} {c}",
            pick(rng, &["Lichtpunt", "De Brug", "Vuurtoren", "Samen"])
        ),
        ("nl", 1) => format!(
            "Lotgenotennetwerk {}",
            pick(rng, &["Anker", "Kompas", "Haven"])
        ),
        ("pl", 0) => format!(
            "Fundacja {}",
            pick(rng, &["Latarnia", "Most", "Razem", "Przystań", "Kompas"])
        ),
        ("pl", 1) => format!(
            "Stowarzyszenie {} {c}",
            pick(rng, &["Wsparcie", "Krąg", "Nadzieja"])
        ),
        ("pt", 0) => format!(
            "Associação {} {c}",
            pick(rng, &["Farol", "Ponte", "Abraço", "Horizonte"])
        ),
        ("pt", 1) => format!(
            "Rede {} de Apoio Mútuo",
            pick(rng, &["Girassol", "Raiz", "Encontro"])
        ),
        ("it", 0) => format!(
            "Associazione {} {c}",
            pick(rng, &["Il Faro", "Il Ponte", "Insieme", "Orizzonti"])
        ),
        ("it", 1) => format!(
            "Rete {} di auto mutuo aiuto",
            pick(rng, &["Girasole", "Radici", "Incontro"])
        ),
        (_, 0) => format!("Friends of {}", pick(rng, TREES)),
        (_, 1) => format!("{} {}", pick(rng, WORDS), pick(rng, KINDS)),
        (_, 2) => format!("{c} {}", pick(rng, KINDS)),
        (_, _) => format!(
            "{} {} {c}",
            pick(rng, WORDS),
            pick(rng, &["Peer Support", "Circle", "Network"])
        ),
    }
}

/// Organization `i`, from its own random stream.
pub fn organization(opts: &Options, i: u64) -> OrgPlan {
    let mut rng = rng_for(opts.seed, 1, i);
    let city = org_city(&mut rng, i);
    let lang = text_language(city.lang);
    let kind = weighted(
        &mut rng,
        &[
            (OrganizationKind::Nonprofit, 30),
            (OrganizationKind::Grassroots, 20),
            (OrganizationKind::PeerLed, 25),
            (OrganizationKind::OnlineForum, 10),
            (OrganizationKind::Professional, 15),
        ],
    );
    let name = org_name(&mut rng, city, lang);
    let slug = opts.slug(i);
    let domain = format!("{}.example.org", words::ascii_slug(&name));
    let handle: String = words::ascii_slug(&name).replace('-', "");
    let social_links = [
        ("instagram", "https://instagram.com/"),
        ("facebook", "https://facebook.com/"),
        ("tumblr", "https://tumblr.com/"),
    ]
    .iter()
    .filter(|_| chance(&mut rng, 40))
    .map(|(platform, base)| SocialLink {
        platform: (*platform).to_owned(),
        url: format!("{base}{handle}"),
    })
    .collect();
    let description = match kind {
        OrganizationKind::OnlineForum => format!("An online community for peer support, started in {}. Anyone may join our groups from home.", city.name),
        OrganizationKind::Professional => format!("A practice of therapists and peer workers in {} running professionally guided support groups.", city.name),
        OrganizationKind::Grassroots => format!("Volunteers in {} who meet to support each other, run by the people who use it.", city.name),
        OrganizationKind::PeerLed => format!("A peer-led space in {}: every group is run by people with lived experience.", city.name),
        OrganizationKind::Nonprofit => format!("A charity supporting mental health in {} and {} since {}.", city.name, city.region, 1985 + rng.u32(0..38)),
    };
    let write = OrganizationWrite {
        name,
        slug: Some(slug),
        kind,
        description: Some(description),
        website: Some(format!("https://{domain}/")),
        social_links,
        contact: Some(OrganizationContact {
            email: Some(format!("hello@{domain}")),
            phone: None,
            public: chance(&mut rng, 70),
        }),
        area_served: Some(format!("{}, {}", city.name, city.region)),
        verified: Some(chance(&mut rng, 60)),
    };
    OrgPlan {
        write,
        city,
        domain,
    }
}

// ---------------------------------------------------------------------------
// Groups

/// What events borrow from the group they belong to.
pub struct GroupPlan {
    pub write: GroupWrite,
    pub org: usize,
    pub city: &'static City,
    pub lang: &'static str,
}

const TOPIC_WEIGHTS: &[(Topic, u32)] = &[
    (Topic::Depression, 12),
    (Topic::Anxiety, 12),
    (Topic::General, 10),
    (Topic::Grief, 9),
    (Topic::Addiction, 7),
    (Topic::Caregiving, 7),
    (Topic::SubstanceUse, 6),
    (Topic::Trauma, 6),
    (Topic::Loneliness, 6),
    (Topic::Ptsd, 5),
    (Topic::Bipolar, 5),
    (Topic::EatingDisorders, 4),
    (Topic::Abuse, 4),
    (Topic::SelfHarm, 3),
    (Topic::Ocd, 3),
    (Topic::Schizophrenia, 3),
];

/// Topics that often go together with another.
fn related(t: Topic) -> &'static [Topic] {
    use Topic::*;
    match t {
        Depression => &[Anxiety, Loneliness, General],
        Anxiety => &[Depression, Ocd, General],
        Bipolar => &[Depression],
        Ptsd => &[Trauma, Anxiety],
        Schizophrenia => &[General],
        EatingDisorders => &[Anxiety, SelfHarm],
        Ocd => &[Anxiety],
        SelfHarm => &[Depression, Trauma],
        Grief => &[Loneliness, Depression],
        Trauma => &[Ptsd, Abuse],
        Abuse => &[Trauma, Ptsd],
        SubstanceUse => &[Addiction],
        Addiction => &[SubstanceUse],
        Caregiving => &[Loneliness, General],
        Loneliness => &[General, Depression],
        General => &[Anxiety, Depression],
    }
}

fn content_notes(t: Topic) -> &'static [&'static str] {
    use Topic::*;
    match t {
        Grief => &["bereavement", "suicide loss"],
        Abuse => &["domestic violence", "sexual violence"],
        Trauma | Ptsd => &["traumatic events"],
        SelfHarm => &["self-harm"],
        EatingDisorders => &["food, weight and body image"],
        SubstanceUse | Addiction => &["alcohol and drug use", "relapse"],
        Depression | Bipolar => &["suicidal thoughts"],
        _ => &[],
    }
}

const AUDIENCES: &[&str] = &[
    "young adults",
    "youth",
    "veterans",
    "LGBTQ+",
    "women",
    "men",
    "parents",
    "students",
    "older adults",
    "new parents",
    "people of colour",
    "family members",
];

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn weekday_of(i: usize) -> Weekday {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ][i % 7]
}

/// The first date on or after `d` that falls on `day`.
fn next_weekday(d: NaiveDate, day: usize) -> NaiveDate {
    let target = weekday_of(day).num_days_from_monday() as i64;
    let now = d.weekday().num_days_from_monday() as i64;
    d + Duration::days((target - now).rem_euclid(7))
}

/// The `nth` (1–4, or -1 for the last) `day` of the month of `d`.
fn nth_weekday(year: i32, month: u32, day: usize, nth: i32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month");
    if nth > 0 {
        next_weekday(first, day) + Duration::weeks(i64::from(nth - 1))
    } else {
        let next_month = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .expect("a valid month");
        let mut d = next_month - Duration::days(7);
        d = next_weekday(d, day);
        d
    }
}

fn meeting_day(rng: &mut Rng) -> usize {
    weighted(
        rng,
        &[
            (0, 14),
            (1, 18),
            (2, 18),
            (3, 18),
            (4, 10),
            (5, 12),
            (6, 10),
        ],
    )
}

fn start_time(rng: &mut Rng) -> NaiveTime {
    let (h, m) = match weighted(rng, &[(0u8, 25), (1, 20), (2, 55)]) {
        0 => (9 + rng.u32(0..3), *pick(rng, &[0, 30])),
        1 => (12 + rng.u32(0..5), *pick(rng, &[0, 30])),
        _ => (17 + rng.u32(0..4), *pick(rng, &[0, 0, 30, 15])),
    };
    NaiveTime::from_hms_opt(h, m, 0).expect("a valid time")
}

/// A schedule for a group; `cohort` gives cohort dates (first, last day).
fn schedule(
    rng: &mut Rng,
    tz: &str,
    online: bool,
    cohort: bool,
) -> (Schedule, Option<Cohort>, Option<usize>) {
    let time = start_time(rng);
    let duration = *pick(rng, &[45, 60, 60, 75, 90, 90, 90, 105, 120, 120, 150]);
    let base = anchor();
    if cohort {
        let day = meeting_day(rng);
        let weeks = 6 + rng.u32(0..7);
        let first = next_weekday(base + Duration::days(rng.i64(-120..400)), day);
        let last = first + Duration::weeks(i64::from(weeks) - 1);
        let s = Schedule {
            rrule: format!("FREQ=WEEKLY;BYDAY={}", WEEKDAYS[day]),
            starts_at: NaiveDateTime::new(first, time),
            timezone: tz.to_owned(),
            duration_minutes: duration,
        };
        return (
            s,
            Some(Cohort {
                starts_on: first,
                ends_on: last,
            }),
            Some(day),
        );
    }
    // Rolling groups started some time ago.
    let began = base - Duration::days(rng.i64(7..900));
    let kind = if online && chance(rng, 20) {
        0
    } else {
        weighted(rng, &[(1u8, 45), (2, 12), (3, 22), (4, 21)])
    };
    let day = meeting_day(rng);
    let (rrule, first, day) = match kind {
        0 => {
            // Daily drop-in, often at lunchtime or late evening.
            let t = *pick(rng, &[(12, 30), (13, 0), (20, 0), (21, 0), (7, 30)]);
            let s = Schedule {
                rrule: if chance(rng, 50) {
                    "FREQ=DAILY".to_owned()
                } else {
                    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_owned()
                },
                starts_at: NaiveDateTime::new(
                    next_weekday(began, 0),
                    NaiveTime::from_hms_opt(t.0, t.1, 0).expect("a valid time"),
                ),
                timezone: tz.to_owned(),
                duration_minutes: *pick(rng, &[45, 60, 60, 90]),
            };
            return (s, None, None);
        }
        1 => (
            format!("FREQ=WEEKLY;BYDAY={}", WEEKDAYS[day]),
            next_weekday(began, day),
            Some(day),
        ),
        2 => {
            let (a, b) = *pick(rng, &[(0, 2), (1, 3), (0, 3), (2, 4), (1, 4)]);
            (
                format!("FREQ=WEEKLY;BYDAY={},{}", WEEKDAYS[a], WEEKDAYS[b]),
                next_weekday(began, a),
                Some(a),
            )
        }
        3 => (
            format!("FREQ=WEEKLY;INTERVAL=2;BYDAY={}", WEEKDAYS[day]),
            next_weekday(began, day),
            Some(day),
        ),
        _ => {
            let nth = *pick(rng, &[1, 1, 2, 2, 3, 4, -1]);
            let mut d = nth_weekday(began.year(), began.month(), day, nth);
            if d < began {
                let next = began + Duration::days(31);
                d = nth_weekday(next.year(), next.month(), day, nth);
            }
            (
                format!("FREQ=MONTHLY;BYDAY={nth}{}", WEEKDAYS[day]),
                d,
                Some(day),
            )
        }
    };
    (
        Schedule {
            rrule,
            starts_at: NaiveDateTime::new(first, time),
            timezone: tz.to_owned(),
            duration_minutes: duration,
        },
        None,
        day,
    )
}

fn cost(rng: &mut Rng, country: &str, weights: &[(CostKind, u32)]) -> Cost {
    let kind = weighted(rng, weights);
    let currency = places::currency(country).to_owned();
    match kind {
        CostKind::Paid => Cost {
            kind,
            amount: Some(format!(
                "{}.{}",
                5 + rng.u32(0..36),
                pick(rng, &["00", "00", "50"])
            )),
            currency: Some(currency),
        },
        CostKind::SlidingScale if chance(rng, 60) => Cost {
            kind,
            amount: Some(format!("{}", 3 + rng.u32(0..20))),
            currency: Some(currency),
        },
        _ => Cost {
            kind,
            amount: None,
            currency: None,
        },
    }
}

fn location(rng: &mut Rng, city: &City, topic: Topic) -> Location {
    let sheltered = matches!(topic, Topic::Abuse | Topic::Trauma | Topic::Ptsd);
    let visibility = if sheltered {
        weighted(
            rng,
            &[
                (Visibility::Public, 25),
                (Visibility::AreaOnly, 40),
                (Visibility::OnRequest, 35),
            ],
        )
    } else {
        weighted(
            rng,
            &[
                (Visibility::Public, 53),
                (Visibility::AreaOnly, 35),
                (Visibility::OnRequest, 12),
            ],
        )
    };
    let (lat, lon) = places::jitter(rng, city);
    Location {
        visibility,
        name: chance(rng, 80).then(|| places::venue(rng, city)),
        street_address: Some(places::street_address(rng, city)),
        locality: Some(city.name.to_owned()),
        region: Some(city.region.to_owned()),
        postal_code: Some(places::postal_code(rng, city)),
        country: Some(city.country.to_owned()),
        latitude: Some(lat),
        longitude: Some(lon),
    }
}

fn online(rng: &mut Rng, domain: &str, lang: &str, n: u64) -> OnlineDetails {
    let platform = *pick(
        rng,
        &[
            "Zoom",
            "Jitsi",
            "Google Meet",
            "Microsoft Teams",
            "Discord",
            "Whereby",
        ],
    );
    let public = chance(rng, 35);
    OnlineDetails {
        platform: Some(platform.to_owned()),
        join_url: Some(format!(
            "https://meet.{domain}/room/{n}-{:04x}",
            rng.u16(..)
        )),
        join_url_visibility: if public {
            Visibility::Public
        } else {
            Visibility::OnRequest
        },
        instructions: (!public).then(|| words::join_instructions(lang).to_owned()),
    }
}

/// Group `i`, from its own random stream.
pub fn group(opts: &Options, orgs: &[OrgPlan], i: u64) -> GroupPlan {
    let mut rng = rng_for(opts.seed, 2, i);
    // Every organization has a group; after that a few large ones run many.
    let org_index = if i < orgs.len() as u64 {
        i as usize
    } else {
        let u = rng.f64();
        ((u * u) * orgs.len() as f64) as usize % orgs.len()
    };
    let org = &orgs[org_index];
    let city: &'static City = if chance(&mut rng, 75) {
        org.city
    } else {
        let near: Vec<&'static City> = CITIES
            .iter()
            .filter(|c| c.country == org.city.country)
            .collect();
        near[rng.usize(..near.len())]
    };
    // Language: mostly the city's; sometimes its second language.
    let (lang, languages) = match city.alt_lang {
        Some(alt) if chance(&mut rng, 18) => {
            if words::TEXT_LANGUAGES.contains(&alt) {
                (alt, vec![alt.to_owned()])
            } else {
                (
                    text_language(city.lang),
                    vec![city.lang.to_owned(), alt.to_owned()],
                )
            }
        }
        _ if city.lang != "en" && chance(&mut rng, 10) => (
            text_language(city.lang),
            vec![city.lang.to_owned(), "en".to_owned()],
        ),
        _ => (text_language(city.lang), vec![city.lang.to_owned()]),
    };
    let lang: &'static str = text_language(lang);
    let primary = if (i as usize) < Topic::all().len() {
        Topic::all()[i as usize]
    } else {
        weighted(&mut rng, TOPIC_WEIGHTS)
    };
    let mut topics = vec![primary];
    for _ in 0..weighted(&mut rng, &[(0u8, 55), (1, 35), (2, 10)]) {
        topics.push(*pick(&mut rng, related(primary)));
    }
    let format = if org.write.kind == OrganizationKind::OnlineForum {
        weighted(&mut rng, &[(Format::Online, 85), (Format::Hybrid, 15)])
    } else if (i as usize) < 3 {
        [Format::InPerson, Format::Online, Format::Hybrid][i as usize]
    } else {
        weighted(
            &mut rng,
            &[
                (Format::InPerson, 50),
                (Format::Online, 28),
                (Format::Hybrid, 22),
            ],
        )
    };
    let is_online = format == Format::Online;
    let cohort = chance(&mut rng, 18);
    let facilitation = match org.write.kind {
        OrganizationKind::Professional => weighted(
            &mut rng,
            &[
                (Facilitation::Professional, 70),
                (Facilitation::CoFacilitated, 30),
            ],
        ),
        OrganizationKind::PeerLed | OrganizationKind::Grassroots => weighted(
            &mut rng,
            &[
                (Facilitation::PeerLed, 85),
                (Facilitation::CoFacilitated, 15),
            ],
        ),
        _ => weighted(
            &mut rng,
            &[
                (Facilitation::PeerLed, 50),
                (Facilitation::Professional, 20),
                (Facilitation::CoFacilitated, 30),
            ],
        ),
    };
    let tz = if is_online { org.city.tz } else { city.tz };
    let (schedule, cohort, day) = schedule(&mut rng, tz, is_online, cohort);
    let enrollment = if cohort.is_some() {
        Enrollment::Cohort
    } else {
        Enrollment::Rolling
    };
    let first_stage = rng.usize(..RecoveryStage::all().len());
    let stages = 1 + rng.usize(..3);
    let recovery_stages = RecoveryStage::all()
        [first_stage..(first_stage + stages).min(RecoveryStage::all().len())]
        .to_vec();
    let mut support_types = Vec::new();
    if chance(&mut rng, 85) {
        support_types.push(SupportType::Emotional);
    }
    for _ in 0..1 + rng.usize(..3) {
        support_types.push(*pick(&mut rng, SupportType::all()));
    }
    let audience: Vec<String> = if primary == Topic::Caregiving {
        vec!["family members".to_owned()]
    } else if chance(&mut rng, 28) {
        vec![(*pick(&mut rng, AUDIENCES)).to_owned()]
    } else {
        vec![]
    };
    let cost = cost(
        &mut rng,
        city.country,
        &[
            (CostKind::Free, 55),
            (CostKind::Donation, 22),
            (CostKind::SlidingScale, 10),
            (CostKind::Paid, 13),
        ],
    );
    let daily = day.is_none();
    let capacity = if daily {
        Some(20 + 10 * rng.i32(0..9))
    } else if chance(&mut rng, 65) {
        Some(6 + rng.i32(0..20))
    } else {
        None
    };
    let accepting_new_members = if cohort.as_ref().is_some_and(|c| c.starts_on < anchor()) {
        chance(&mut rng, 30)
    } else {
        !chance(&mut rng, 8)
    };
    let accessibility = match format {
        Format::Online => chance(&mut rng, 40).then(|| {
            "Live captions on request; cameras optional; join by phone if you prefer.".to_owned()
        }),
        _ => chance(&mut rng, 60).then(|| {
            (*pick(
                &mut rng,
                &[
                    "Step-free access and an accessible toilet on the ground floor.",
                    "Hearing loop in the room; quiet space available.",
                    "First-floor room, lift available. Assistance dogs welcome.",
                    "Ground floor, step-free entrance; parking nearby.",
                ],
            ))
            .to_owned()
        }),
    };
    let notes = content_notes(primary);
    let content_notes = if !notes.is_empty() && chance(&mut rng, 60) {
        vec![(*pick(&mut rng, notes)).to_owned()]
    } else {
        vec![]
    };
    let location = (!is_online).then(|| location(&mut rng, city, primary));
    let online = (format != Format::InPerson).then(|| online(&mut rng, &org.domain, lang, i));
    let contact = match rng.u8(0..10) {
        0..=5 => Some(GroupContact {
            email: Some(format!("groups@{}", org.domain)),
            phone: None,
            url: Some(format!("https://{}/groups/{}", org.domain, i + 1)),
        }),
        6 => {
            // Drawn as before (two numbers), so that the rest stays the same.
            rng.u32(0..60);
            Some(GroupContact {
                email: None,
                phone: Some(places::phone_number(city.country, rng.u32(0..8_999_999))),
                url: None,
            })
        }
        _ => None,
    };
    let status = if chance(&mut rng, 5) {
        ListingStatus::Draft
    } else {
        ListingStatus::Published
    };
    let parts = words::NameParts {
        lang,
        topic: primary,
        city: city.name,
        day,
        hour: schedule.starts_at.hour(),
        format,
        cohort_weeks: cohort
            .as_ref()
            .map(|c| ((c.ends_on - c.starts_on).num_days() / 7 + 1) as u32),
        audience: audience.first().map(String::as_str),
    };
    let variant = rng.usize(..1000);
    let write = GroupWrite {
        external_id: Some(format!("group-{:07}", i + 1)),
        name: words::group_name(&parts, variant),
        summary: Some(words::group_summary(lang, primary, variant / 5)),
        description: Some(words::group_description(
            lang,
            primary,
            format,
            facilitation,
            !is_online && chance(&mut rng, 50),
        )),
        topics,
        format,
        enrollment,
        cohort,
        facilitation,
        schedule: Some(schedule),
        recovery_stages,
        support_types,
        languages,
        audience,
        cost,
        capacity,
        accepting_new_members,
        accessibility,
        confidentiality_policy: chance(&mut rng, 85)
            .then(|| words::confidentiality(lang).to_owned()),
        anonymous_participation: chance(&mut rng, if is_online { 70 } else { 40 }),
        content_notes,
        location,
        online,
        contact,
        status,
    };
    GroupPlan {
        write,
        org: org_index,
        city,
        lang,
    }
}

// ---------------------------------------------------------------------------
// Events

fn event_title(rng: &mut Rng, lang: &str, topic: Topic) -> String {
    let t = words::topic_title(lang, topic);
    let list: &[&str] = match lang {
        "es" => &[
            "Jornada de puertas abiertas",
            "Taller: herramientas para el día a día",
            "Charla abierta",
            "Paseo y conversación",
        ],
        "fr" => &[
            "Journée portes ouvertes",
            "Atelier : outils du quotidien",
            "Café-rencontre",
            "Marche et parole",
        ],
        "de" => &[
            "Tag der offenen Tür",
            "Workshop: Werkzeuge für den Alltag",
            "Offenes Café",
            "Spaziergang und Gespräch",
        ],
        "pt" => &[
            "Dia aberto",
            "Oficina: ferramentas para o dia a dia",
            "Café de conversa",
            "Caminhada e conversa",
        ],
        "pl" => &[
            "Dzień otwarty",
            "Warsztat: narzędzia na co dzień",
            "Otwarta kawiarenka",
            "Spacer i rozmowa",
        ],
        "nl" => &[
            "Open dag",
            "Workshop: handvatten voor elke dag",
            "Inloopcafé",
            "Wandelen en praten",
        ],
        "it" => &[
            "Giornata aperta",
            "Laboratorio: strumenti per ogni giorno",
            "Caffè dell'ascolto",
            "Camminata e parola",
        ],
        _ => &[
            "Open day: meet the peer supporters",
            "Workshop: tools for everyday life",
            "Wellbeing café",
            "Walk and talk",
            "Evening talk",
            "Writing for wellbeing",
        ],
    };
    format!("{} — {t}", pick(rng, list))
}

/// Event `j`, about group `g` (its org, place and topics); `group_id` is
/// set by the caller when the event belongs to the group.
pub fn event(opts: &Options, orgs: &[OrgPlan], j: u64, g: &GroupPlan) -> (EventWrite, bool) {
    let mut rng = rng_for(opts.seed, 3, j);
    let org = &orgs[g.org];
    let gw = &g.write;
    let tied = chance(&mut rng, 55);
    let topic = gw.topics[0];
    let lang = g.lang;
    let time = NaiveTime::from_hms_opt(
        *pick(&mut rng, &[10, 11, 14, 18, 19]),
        *pick(&mut rng, &[0, 30]),
        0,
    )
    .expect("a valid time");
    let (name, starts_at, hours) = match (&gw.cohort, &gw.schedule) {
        (Some(c), Some(s)) if tied => (
            match lang {
                "en" => format!("First session: {}", gw.name),
                _ => format!("1. {}", gw.name),
            },
            NaiveDateTime::new(c.starts_on, s.starts_at.time()),
            0,
        ),
        _ if tied => (
            match lang {
                "en" if time.hour() >= 17 => {
                    format!(
                        "{}: {}",
                        pick(&mut rng, &["Open evening", "Newcomers' evening"]),
                        gw.name
                    )
                }
                "en" => format!(
                    "{}: {}",
                    pick(&mut rng, &["Taster session", "Open day"]),
                    gw.name
                ),
                _ => format!(
                    "{} — {}",
                    event_title(&mut rng, lang, topic)
                        .split(" — ")
                        .next()
                        .unwrap_or(""),
                    gw.name
                ),
            },
            NaiveDateTime::new(anchor() + Duration::days(rng.i64(-20..365)), time),
            1 + rng.i64(0..2),
        ),
        _ => (
            event_title(&mut rng, lang, topic),
            NaiveDateTime::new(anchor() + Duration::days(rng.i64(-20..365)), time),
            1 + rng.i64(0..4),
        ),
    };
    let ends_at = if hours == 0 {
        starts_at
            + Duration::minutes(
                gw.schedule
                    .as_ref()
                    .map_or(90, |s| s.duration_minutes.into()),
            )
    } else {
        starts_at + Duration::hours(hours)
    };
    let timezone = gw
        .schedule
        .as_ref()
        .map_or(org.city.tz, |s| s.timezone.as_str())
        .to_owned();
    // A few repeat monthly on the first Saturday, six times.
    let (rrule, starts_at, ends_at) = if !tied && chance(&mut rng, 12) {
        let d = nth_weekday(starts_at.year(), starts_at.month(), 5, 1);
        let shift = NaiveDateTime::new(d, starts_at.time()) - starts_at;
        (
            Some("FREQ=MONTHLY;BYDAY=1SA;COUNT=6".to_owned()),
            starts_at + shift,
            ends_at + shift,
        )
    } else {
        (None, starts_at, ends_at)
    };
    let location = gw.location.clone().map(|mut l| {
        if !tied && l.visibility == Visibility::OnRequest {
            l.visibility = Visibility::AreaOnly;
        }
        l
    });
    let write = EventWrite {
        external_id: Some(format!("event-{:07}", j + 1)),
        group_id: None,
        name,
        summary: Some(words::group_summary(lang, topic, rng.usize(..6))),
        description: None,
        topics: gw.topics.clone(),
        starts_at,
        ends_at,
        timezone,
        rrule,
        exdates: vec![],
        format: gw.format,
        location,
        online: gw.online.clone(),
        registration_url: chance(&mut rng, 50)
            .then(|| format!("https://{}/events/{}", org.domain, j + 1)),
        cost: cost(
            &mut rng,
            g.city.country,
            &[
                (CostKind::Free, 70),
                (CostKind::Donation, 15),
                (CostKind::Paid, 15),
            ],
        ),
        capacity: chance(&mut rng, 50).then(|| 10 + rng.i32(0..90)),
        status: weighted(
            &mut rng,
            &[
                (EventStatus::Scheduled, 90),
                (EventStatus::Cancelled, 5),
                (EventStatus::Postponed, 5),
            ],
        ),
        listing_status: if chance(&mut rng, 5) {
            ListingStatus::Draft
        } else {
            ListingStatus::Published
        },
    };
    (write, tied)
}

// ---------------------------------------------------------------------------
// Resources

/// A crisis line: (country, name, url, phone, languages, summary).
pub type CrisisLine = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
    &'static str,
);

/// Real crisis lines, one per country.
#[rustfmt::skip]
pub const CRISIS_LINES: &[CrisisLine] = &[
    ("GB", "Samaritans", "https://www.samaritans.org/", Some("116 123"), &["en"], "Round-the-clock listening for anyone who is struggling to cope, free from any phone in the UK and Ireland."),
    ("IE", "Pieta", "https://www.pieta.ie/", Some("1800 247 247"), &["en"], "Free 24/7 crisis support for people in suicidal distress or who self-harm."),
    ("US", "988 Suicide & Crisis Lifeline", "https://988lifeline.org/", Some("988"), &["en", "es"], "Call or text 988 any time for free, confidential support in a crisis."),
    ("CA", "9-8-8 Suicide Crisis Helpline", "https://988.ca/", Some("988"), &["en", "fr"], "Call or text 9-8-8, any time, if you are thinking about suicide or worried about someone."),
    ("DE", "TelefonSeelsorge", "https://www.telefonseelsorge.de/", Some("0800 111 0 111"), &["de"], "Rund um die Uhr erreichbar, anonym und kostenfrei: am Telefon, per Mail und im Chat."),
    ("FR", "3114 — Numéro national de prévention du suicide", "https://3114.fr/", Some("3114"), &["fr"], "Une écoute professionnelle, gratuite, 24h/24 et 7j/7, pour les personnes en détresse et leurs proches."),
    ("ES", "Teléfono de la Esperanza", "https://telefonodelaesperanza.org/", Some("717 003 717"), &["es"], "Atención telefónica en crisis, gratuita y anónima, las 24 horas."),
    ("NL", "113 Zelfmoordpreventie", "https://www.113.nl/", Some("0800 0113"), &["nl"], "Praat anoniem met een hulpverlener, dag en nacht, gratis via telefoon of chat."),
    ("PL", "Telefon zaufania dla dzieci i młodzieży", "https://116111.pl/", Some("116 111"), &["pl"], "Bezpłatna i anonimowa pomoc dla dzieci i młodzieży, przez telefon i czat."),
    ("PT", "SNS 24", "https://www.sns24.gov.pt/", Some("808 24 24 24"), &["pt"], "Linha do Serviço Nacional de Saúde, com aconselhamento psicológico, disponível 24 horas."),
    ("IT", "Telefono Amico Italia", "https://www.telefonoamico.it/", Some("02 2327 2327"), &["it"], "Ascolto e sostegno emotivo a chi si sente solo o in difficoltà."),
    ("AU", "Lifeline Australia", "https://www.lifeline.org.au/", Some("13 11 14"), &["en"], "24-hour crisis support and suicide prevention by phone, text and online chat."),
    ("NZ", "1737, Need to talk?", "https://1737.org.nz/", Some("1737"), &["en", "mi"], "Free call or text 1737 any time to talk with a trained counsellor."),
    ("BR", "CVV — Centro de Valorização da Vida", "https://cvv.org.br/", Some("188"), &["pt"], "Apoio emocional e prevenção do suicídio, gratuito, 24 horas, por telefone e chat."),
    ("MX", "Find A Helpline — México", "https://findahelpline.com/countries/mx", None, &["es"], "Directorio verificado de líneas de ayuda gratuitas y confidenciales en México."),
];

fn resource_title(rng: &mut Rng, lang: &str, topic: Topic) -> (ResourceKind, String) {
    let t = words::topic_title(lang, topic);
    let w = words::topic_word_en(topic);
    match lang {
        "en" => pick(
            rng,
            &[
                (
                    ResourceKind::Guide,
                    format!("What to expect at your first {w} support group"),
                ),
                (
                    ResourceKind::Article,
                    format!("Understanding {w}: a plain-language introduction"),
                ),
                (
                    ResourceKind::BlogPost,
                    format!("Why I kept going back: a member's story of {w} and peer support"),
                ),
                (
                    ResourceKind::Worksheet,
                    format!("{t}: a weekly check-in worksheet"),
                ),
                (
                    ResourceKind::Video,
                    format!("{t}: peers talk about the stages of recovery"),
                ),
                (ResourceKind::Podcast, format!("Circle talk podcast: {w}")),
                (
                    ResourceKind::Guide,
                    format!("How to support a friend living with {w}"),
                ),
                (
                    ResourceKind::Directory,
                    format!("Local {w} services and helplines"),
                ),
            ],
        )
        .clone(),
        "es" => (
            ResourceKind::Guide,
            format!("{t}: guía para tu primera reunión de grupo"),
        ),
        "fr" => (
            ResourceKind::Guide,
            format!("{t} : guide pour votre premier groupe de parole"),
        ),
        "de" => (
            ResourceKind::Guide,
            format!("{t}: Wegweiser für das erste Gruppentreffen"),
        ),
        "pt" => (
            ResourceKind::Article,
            format!("{t}: o que esperar do primeiro grupo de apoio"),
        ),
        "pl" => (
            ResourceKind::Article,
            format!("{t}: czego spodziewać się na pierwszym spotkaniu"),
        ),
        "nl" => (
            ResourceKind::Worksheet,
            format!("{t}: werkblad voor elke week"),
        ),
        _ => (
            ResourceKind::Guide,
            format!("{t}: cosa aspettarsi dal primo incontro"),
        ),
    }
}

/// Resource `r` of organization `org`; every fifth is its country's crisis line.
pub fn resource(opts: &Options, orgs: &[OrgPlan], r: u64) -> (usize, ResourceWrite) {
    let mut rng = rng_for(opts.seed, 4, r);
    let org_index = rng.usize(..orgs.len());
    let org = &orgs[org_index];
    let external_id = Some(format!("resource-{:07}", r + 1));
    let status = if chance(&mut rng, 4) {
        ListingStatus::Draft
    } else {
        ListingStatus::Published
    };
    if r.is_multiple_of(5) {
        if let Some((country, name, url, phone, langs, summary)) =
            CRISIS_LINES.iter().find(|l| l.0 == org.city.country)
        {
            return (
                org_index,
                ResourceWrite {
                    external_id,
                    name: (*name).to_owned(),
                    url: (*url).to_owned(),
                    kind: ResourceKind::Hotline,
                    summary: Some((*summary).to_owned()),
                    topics: vec![Topic::Depression, Topic::SelfHarm, Topic::General],
                    languages: langs.iter().map(|l| (*l).to_owned()).collect(),
                    crisis: true,
                    phone: phone.map(str::to_owned),
                    country: Some((*country).to_owned()),
                    status: ListingStatus::Published,
                },
            );
        }
    }
    let lang = text_language(org.city.lang);
    let topic = weighted(&mut rng, TOPIC_WEIGHTS);
    let (kind, name) = resource_title(&mut rng, lang, topic);
    let mut topics = vec![topic];
    if chance(&mut rng, 40) {
        topics.push(*pick(&mut rng, related(topic)));
    }
    (
        org_index,
        ResourceWrite {
            external_id,
            url: format!(
                "https://{}/resources/{}-{}",
                org.domain,
                words::ascii_slug(&name),
                r + 1
            ),
            name,
            kind,
            summary: Some(words::group_summary(lang, topic, rng.usize(..6))),
            topics,
            languages: vec![lang.to_owned()],
            crisis: false,
            phone: None,
            country: chance(&mut rng, 40).then(|| org.city.country.to_owned()),
            status,
        },
    )
}

// ---------------------------------------------------------------------------
// Writing

fn existing_slugs(conn: &mut DbConnection, prefix: &str) -> QueryResult<Vec<String>> {
    use crate::db::schema::organizations;
    organizations::table
        .filter(organizations::slug.like(format!("{prefix}%")))
        .select(organizations::slug)
        .limit(3)
        .load(conn)
}

/// SQLite's full-text triggers, per table. FTS5 writes its pending index to
/// disk at every statement savepoint, so a bulk load through the triggers
/// writes one tiny segment per insert and spends its time merging them
/// (seeding slowed from 1,600 to under 300 groups/s between 100k and 360k
/// groups, `perf`: `fts5IndexMergeLevel` under `fts5SavepointMethod`).
const FTS_TRIGGERS: [(&str, &str); 3] = [
    ("support_groups_fts", "support_groups"),
    ("events_fts", "events"),
    ("resources_fts", "resources"),
];

/// Set the full-text triggers aside for a bulk load (SQLite); returns them
/// for [`restore_fts_triggers`].
fn suspend_fts_triggers(conn: &mut DbConnection) -> Result<Vec<(String, String)>, ApiError> {
    #[derive(diesel::QueryableByName)]
    struct Sql {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sql: String,
    }
    let mut saved = Vec::new();
    for (trigger, table) in FTS_TRIGGERS {
        let rows: Vec<Sql> = diesel::sql_query(format!(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = '{trigger}'"
        ))
        .load(conn)?;
        if let Some(row) = rows.into_iter().next() {
            conn.batch_execute(&format!("DROP TRIGGER {trigger}"))?;
            saved.push((table.to_owned(), row.sql));
        }
    }
    Ok(saved)
}

/// Put the triggers back and index every row in one statement per table
/// (touching `search_rowid` fires them), so FTS5 writes large segments.
fn restore_fts_triggers(
    conn: &mut DbConnection,
    saved: &[(String, String)],
) -> Result<(), ApiError> {
    crate::db::write_transaction(conn, |conn| {
        for (table, sql) in saved {
            conn.batch_execute(sql)?;
            conn.batch_execute(&format!(
                "UPDATE {table} SET search_rowid = search_rowid WHERE deleted_at IS NULL"
            ))?;
        }
        Ok(())
    })
}

/// Write the synthetic directory through the domain's insert functions.
pub fn run(conn: &mut DbConnection, opts: &Options) -> Result<Summary, SeedError> {
    let started = std::time::Instant::now();
    let saved = match conn {
        DbConnection::Sqlite(_) => crate::db::write_transaction(conn, suspend_fts_triggers)?,
        DbConnection::Pg(_) => Vec::new(),
    };
    let result = load(conn, opts);
    // The triggers come back even when the load failed half-way.
    let restored = restore_fts_triggers(conn, &saved);
    let mut summary = result?;
    restored?;
    // Fresh statistics, so that the query planner picks the search indexes.
    conn.batch_execute("ANALYZE").map_err(ApiError::from)?;
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn load(conn: &mut DbConnection, opts: &Options) -> Result<Summary, SeedError> {
    let started = std::time::Instant::now();
    let prefix = format!("syn-{}-", opts.seed);
    let taken = existing_slugs(conn, &prefix).map_err(ApiError::from)?;
    if !taken.is_empty() {
        return Err(SeedError::AlreadySeeded(format!(
            "organizations with slugs `{prefix}…` already exist (e.g. `{}`): this database was already seeded with --seed {}; use another --seed or a fresh database",
            taken[0], opts.seed
        )));
    }
    if let DbConnection::Sqlite(_) = conn {
        // A bulk load touches index pages all over the file: let this one
        // connection cache up to 256 MiB of them instead of the default 2 MiB.
        conn.batch_execute("PRAGMA cache_size = -262144")
            .map_err(ApiError::from)?;
    }
    let plans: Vec<OrgPlan> = (0..opts.organizations())
        .map(|i| organization(opts, i))
        .collect();
    let org_ids: Vec<String> = crate::db::write_transaction(conn, |conn| {
        plans
            .iter()
            .map(|p| {
                expect_valid(
                    "organization",
                    p.write.slug.as_deref().unwrap_or(""),
                    p.write.validate(),
                )?;
                Ok(crate::organizations::queries::create(conn, &p.write)?.id)
            })
            .collect::<Result<Vec<_>, SeedError>>()
    })?;
    let mut summary = Summary {
        organizations: org_ids.len() as u64,
        ..Summary::default()
    };
    let (n, events, resources) = (opts.groups, opts.events(), opts.resources());
    let mut a = 0;
    while a < n {
        let b = (a + CHUNK).min(n);
        let mut groups: Vec<GroupPlan> = (a..b).map(|i| group(opts, &plans, i)).collect();
        for (k, g) in groups.iter_mut().enumerate() {
            let ext = format!("group {}", a + k as u64 + 1);
            expect_valid("group", &ext, g.write.validate())?;
        }
        let prepared = groups
            .iter()
            .map(|g| crate::groups::queries::Prepared::new(g.write.clone()))
            .collect::<Result<Vec<_>, ApiError>>()?;
        let mut rs = (a / 20..(b / 20).min(resources))
            .map(|r| resource(opts, &plans, r))
            .enumerate()
            .map(|(k, (org, r))| {
                let which = format!("resource {}", a / 20 + k as u64 + 1);
                Ok((org, expect_valid("resource", &which, Resource::prepare(r))?))
            })
            .collect::<Result<Vec<_>, SeedError>>()?;
        let chunk = crate::db::write_transaction(conn, |conn| -> Result<Summary, SeedError> {
            let mut s = Summary::default();
            let mut deferred = String::new();
            let mut ids = Vec::with_capacity(groups.len());
            for (g, p) in groups.iter().zip(&prepared) {
                ids.push(store::insert_deferring::<Group>(
                    conn,
                    &org_ids[g.org],
                    p,
                    &mut deferred,
                )?);
                s.groups += 1;
                s.drafts += u64::from(g.write.status == ListingStatus::Draft);
            }
            conn.batch_execute(&deferred).map_err(ApiError::from)?;
            deferred.clear();
            for j in a / 5..(b / 5).min(events) {
                // Event j is about one of groups 5j..5j+4, all in this chunk.
                let mut pick_rng = rng_for(opts.seed, 5, j);
                let k = (5 * j + pick_rng.u64(..5) - a) as usize;
                let g = &groups[k];
                let (mut w, tied) = event(opts, &plans, j, g);
                if tied {
                    w.group_id = Some(ids[k].clone());
                }
                let recurrence = expect_valid("event", &format!("event {}", j + 1), w.validate())?;
                let p = crate::events::queries::Prepared::new(w, recurrence)?;
                store::insert_deferring::<Event>(conn, &org_ids[g.org], &p, &mut deferred)?;
                s.events += 1;
            }
            for (org, r) in &rs {
                store::insert_deferring::<Resource>(conn, &org_ids[*org], r, &mut deferred)?;
                s.resources += 1;
                s.crisis_resources += u64::from(r.write.crisis);
            }
            conn.batch_execute(&deferred).map_err(ApiError::from)?;
            Ok(s)
        })?;
        summary.add(&chunk);
        groups.clear();
        rs.clear();
        a = b;
        if opts.progress && (a.is_multiple_of(CHUNK * 10) || a == n) {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "seed: {a}/{n} groups, {} events, {} resources ({secs:.1} s, {:.0} groups/s)",
                summary.events,
                summary.resources,
                a as f64 / secs.max(0.001)
            );
        }
    }
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
