//! `circles seed --demo`: a small hand-written directory (four
//! organizations, fifteen groups, a few events and resources with crisis
//! lines) for a newcomer's first look. Loading it twice does nothing the
//! second time.

use serde_json::{json, Value};

use super::{expect_valid, SeedError, Summary};
use crate::db::DbConnection;
use crate::events::dto::EventWrite;
use crate::events::queries::Event;
use crate::groups::dto::GroupWrite;
use crate::groups::queries::Group;
use crate::listing::{store, Listing};
use crate::organizations::dto::OrganizationWrite;
use crate::resources::dto::ResourceWrite;
use crate::resources::queries::Resource;
use crate::vocab::ListingStatus;

/// Slug of the first demo organization: when it exists, the demo is loaded.
pub const MARKER_SLUG: &str = "friends-of-ash";

struct DemoOrg {
    org: Value,
    groups: Vec<Value>,
    /// Events; `"group": n` ties one to the organization's n-th group.
    events: Vec<Value>,
    resources: Vec<Value>,
}

fn london(visibility: &str, venue: &str, street: &str, postal: &str, lat: f64, lon: f64) -> Value {
    json!({"visibility": visibility, "name": venue, "street_address": street, "locality": "London",
           "region": "Greater London", "postal_code": postal, "country": "GB", "latitude": lat, "longitude": lon})
}

fn directory() -> Vec<DemoOrg> {
    let samaritans = json!({"external_id": "samaritans", "name": "Samaritans", "url": "https://www.samaritans.org/",
        "kind": "hotline", "crisis": true, "phone": "116 123", "country": "GB", "languages": ["en"],
        "topics": ["depression", "self_harm", "general"], "status": "published",
        "summary": "Round-the-clock listening for anyone who is struggling to cope, free from any phone in the UK and Ireland."});
    vec![
        DemoOrg {
            org: json!({"name": "Friends of Ash", "slug": MARKER_SLUG, "kind": "peer_led",
                "description": "Peer support circles in north London, run by people who have been there.",
                "website": "https://friendsofash.example.org/",
                "social_links": [{"platform": "instagram", "url": "https://instagram.com/friendsofash"}],
                "contact": {"email": "hello@friendsofash.example.org", "public": true},
                "area_served": "North London", "verified": true}),
            groups: vec![
                json!({"external_id": "grief-tue", "name": "Tuesday grief circle",
                    "summary": "A gentle space to talk about loss, with tea and people who understand.",
                    "description": "For anyone grieving the death of someone close, however long ago. Share as much or as little as you like: listening is taking part too.",
                    "topics": ["grief", "loneliness"], "format": "hybrid", "enrollment": "rolling", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TU", "starts_at": "2026-01-06T18:00:00", "timezone": "Europe/London", "duration_minutes": 90},
                    "recovery_stages": ["moratorium", "awareness"], "support_types": ["emotional", "companionship"],
                    "languages": ["en"], "cost": {"kind": "free"}, "capacity": 14,
                    "accessibility": "Step-free access and an accessible toilet on the ground floor.",
                    "confidentiality_policy": "What is shared in the circle stays in the circle.", "anonymous_participation": true,
                    "content_notes": ["bereavement", "suicide loss"],
                    "location": london("area_only", "St Anne's community hall", "12 Cedar Road", "N1 7AA", 51.5362, -0.1034),
                    "online": {"platform": "Jitsi", "join_url": "https://meet.friendsofash.example.org/grief-tuesday", "join_url_visibility": "on_request",
                               "instructions": "Email us and we'll send the link before the session."},
                    "contact": {"email": "circles@friendsofash.example.org"}, "status": "published"}),
                json!({"external_id": "anxiety-young-adults", "name": "Thursday evening anxiety group for young adults",
                    "summary": "Worry, panic, overthinking: talk it through with other 18–25s.",
                    "topics": ["anxiety"], "format": "in_person", "facilitation": "co_facilitated",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TH", "starts_at": "2026-02-05T18:30:00", "timezone": "Europe/London", "duration_minutes": 75},
                    "recovery_stages": ["awareness", "preparation"], "support_types": ["emotional", "informational", "esteem"],
                    "languages": ["en"], "audience": ["young adults"], "cost": {"kind": "free"}, "capacity": 12,
                    "location": london("public", "Central Library, meeting room 2", "3 Victoria Street", "N1 2BB", 51.5390, -0.1030),
                    "status": "published"}),
                json!({"external_id": "carers-saturday", "name": "Carers' coffee morning",
                    "summary": "For family and friends who look after someone: an hour for you, once a month.",
                    "topics": ["caregiving"], "format": "in_person", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=MONTHLY;BYDAY=1SA", "starts_at": "2026-02-07T10:30:00", "timezone": "Europe/London", "duration_minutes": 90},
                    "recovery_stages": ["rebuilding", "growth"], "support_types": ["companionship", "instrumental", "network"],
                    "languages": ["en"], "audience": ["family members"], "cost": {"kind": "donation"},
                    "location": london("public", "Riverside Community Centre", "40 Mill Lane", "N7 8QT", 51.5530, -0.1160),
                    "status": "published"}),
                json!({"external_id": "bipolar-draft", "name": "Bipolar peer group (starting soon)",
                    "summary": "Being prepared: a fortnightly group for people living with bipolar.",
                    "topics": ["bipolar"], "format": "in_person", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", "starts_at": "2027-01-13T19:00:00", "timezone": "Europe/London", "duration_minutes": 90},
                    "languages": ["en"], "location": london("on_request", "St Anne's community hall", "12 Cedar Road", "N1 7AA", 51.5362, -0.1034),
                    "status": "draft"}),
            ],
            events: vec![
                json!({"external_id": "open-day-2027", "name": "Open day: meet the peer supporters",
                "summary": "Drop in, have a cup of tea, ask anything.", "topics": ["general"],
                "starts_at": "2027-01-16T11:00:00", "ends_at": "2027-01-16T15:00:00", "timezone": "Europe/London",
                "format": "in_person", "location": london("public", "St Anne's community hall", "12 Cedar Road", "N1 7AA", 51.5362, -0.1034),
                "cost": {"kind": "free"}, "listing_status": "published"}),
            ],
            resources: vec![
                samaritans.clone(),
                json!({"external_id": "first-group", "name": "What to expect at your first support group",
                    "url": "https://friendsofash.example.org/first-time", "kind": "guide", "topics": ["general"], "languages": ["en"],
                    "summary": "Nobody has to speak. A short guide to how a circle works and what we ask of each other.", "status": "published"}),
            ],
        },
        DemoOrg {
            org: json!({"name": "Harbour Peer Network", "slug": "harbour-peer-network", "kind": "nonprofit",
                "description": "A charity running peer support groups across Leeds and Manchester since 1998.",
                "website": "https://harbourpeer.example.org/", "contact": {"email": "hello@harbourpeer.example.org", "phone": "+44 113 496 0000", "public": true},
                "area_served": "West Yorkshire and Greater Manchester", "verified": true}),
            groups: vec![
                json!({"external_id": "leeds-depression", "name": "Depression support group — Leeds",
                    "summary": "A warm, judgement-free space to talk about low mood with people who understand.",
                    "topics": ["depression"], "format": "in_person", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=MO,WE", "starts_at": "2025-09-01T19:00:00", "timezone": "Europe/London", "duration_minutes": 90},
                    "recovery_stages": ["moratorium", "awareness", "preparation"], "support_types": ["emotional", "validation"],
                    "languages": ["en"], "cost": {"kind": "free"},
                    "location": {"visibility": "public", "name": "Leeds Wellbeing Hub", "street_address": "22 Park Row", "locality": "Leeds",
                                 "region": "West Yorkshire", "postal_code": "LS1 5HD", "country": "GB", "latitude": 53.7990, "longitude": -1.5470},
                    "status": "published"}),
                json!({"external_id": "mcr-eating-cohort", "name": "Eating disorders: an 8-week peer course — Manchester",
                    "summary": "Eight Tuesday evenings with the same small group, co-led by a peer and a dietitian.",
                    "topics": ["eating_disorders"], "format": "hybrid", "enrollment": "cohort",
                    "cohort": {"starts_on": "2027-01-12", "ends_on": "2027-03-02"}, "facilitation": "co_facilitated",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TU", "starts_at": "2027-01-12T18:00:00", "timezone": "Europe/London", "duration_minutes": 120},
                    "recovery_stages": ["preparation", "rebuilding"], "support_types": ["informational", "appraisal", "emotional"],
                    "languages": ["en"], "cost": {"kind": "sliding_scale", "amount": "10", "currency": "GBP"}, "capacity": 10,
                    "content_notes": ["food, weight and body image"],
                    "location": {"visibility": "area_only", "street_address": "5 Chapel Street", "locality": "Manchester",
                                 "region": "Greater Manchester", "postal_code": "M3 5JZ", "country": "GB", "latitude": 53.4830, "longitude": -2.2500},
                    "online": {"platform": "Zoom", "join_url": "https://meet.harbourpeer.example.org/ed-course", "join_url_visibility": "on_request"},
                    "status": "published"}),
                json!({"external_id": "veterans-ptsd", "name": "Veterans' PTSD peer group — Leeds",
                    "summary": "Ex-forces helping ex-forces: a fortnightly check-in.",
                    "topics": ["ptsd", "trauma"], "format": "in_person", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "starts_at": "2025-10-04T10:00:00", "timezone": "Europe/London", "duration_minutes": 120},
                    "recovery_stages": ["awareness", "rebuilding"], "support_types": ["companionship", "network"],
                    "languages": ["en"], "audience": ["veterans"], "cost": {"kind": "free"}, "accepting_new_members": false,
                    "content_notes": ["traumatic events"],
                    "location": {"visibility": "on_request", "locality": "Leeds", "region": "West Yorkshire", "country": "GB"},
                    "status": "published"}),
                json!({"external_id": "sunday-recovery", "name": "Sunday evening addiction recovery meeting",
                    "summary": "Open meeting for anyone in recovery from alcohol or drugs, or thinking about it.",
                    "topics": ["addiction", "substance_use"], "format": "in_person", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=SU", "starts_at": "2025-06-01T19:30:00", "timezone": "Europe/London", "duration_minutes": 60},
                    "recovery_stages": ["preparation", "rebuilding", "growth"], "support_types": ["emotional", "network", "esteem"],
                    "languages": ["en"], "cost": {"kind": "donation"}, "anonymous_participation": true,
                    "location": {"visibility": "public", "name": "Friends Meeting House", "street_address": "6 Mount Street", "locality": "Manchester",
                                 "region": "Greater Manchester", "postal_code": "M2 5NS", "country": "GB", "latitude": 53.4785, "longitude": -2.2445},
                    "status": "published"}),
            ],
            events: vec![
                json!({"group": 1, "external_id": "ed-course-first", "name": "First session: eating disorders peer course",
                "starts_at": "2027-01-12T18:00:00", "ends_at": "2027-01-12T20:00:00", "timezone": "Europe/London",
                "format": "hybrid", "topics": ["eating_disorders"],
                "location": {"visibility": "area_only", "locality": "Manchester", "country": "GB"},
                "online": {"platform": "Zoom", "join_url_visibility": "on_request"},
                "registration_url": "https://harbourpeer.example.org/ed-course", "capacity": 10, "listing_status": "published"}),
            ],
            resources: vec![
                json!({"external_id": "support-a-friend", "name": "How to support a friend who is struggling",
                "url": "https://harbourpeer.example.org/guides/support-a-friend", "kind": "guide", "topics": ["depression", "general"],
                "languages": ["en"], "summary": "Listening without fixing, and knowing when to suggest more help.", "status": "published"}),
            ],
        },
        DemoOrg {
            org: json!({"name": "Lumière Entraide", "slug": "lumiere-entraide", "kind": "grassroots",
                "description": "Groupes d'entraide entre pairs à Montréal, animés par des bénévoles.",
                "website": "https://lumiere-entraide.example.org/", "contact": {"email": "bonjour@lumiere-entraide.example.org", "public": true},
                "area_served": "Montréal, Québec"}),
            groups: vec![
                json!({"external_id": "deuil-mardi", "name": "Groupe de parole Deuil — Montréal",
                    "summary": "Deuil : un espace bienveillant et sans jugement pour partager et écouter.",
                    "topics": ["grief"], "format": "in_person", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=MONTHLY;BYDAY=2TU", "starts_at": "2026-01-13T19:00:00", "timezone": "America/Toronto", "duration_minutes": 105},
                    "recovery_stages": ["moratorium", "awareness"], "support_types": ["emotional", "validation"],
                    "languages": ["fr"], "cost": {"kind": "free"},
                    "location": {"visibility": "public", "name": "Maison de quartier", "street_address": "4200 rue Saint-Denis", "locality": "Montréal",
                                 "region": "Québec", "postal_code": "H2J 2K8", "country": "CA", "latitude": 45.5225, "longitude": -73.5800},
                    "status": "published"}),
                json!({"external_id": "anxiete-en-ligne", "name": "Anxiété : groupe d'entraide en ligne",
                    "summary": "Venez comme vous êtes : parler ou simplement écouter, à votre rythme.",
                    "topics": ["anxiety", "depression"], "format": "online", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=WE", "starts_at": "2026-03-04T12:00:00", "timezone": "America/Toronto", "duration_minutes": 60},
                    "languages": ["fr", "en"], "cost": {"kind": "free"},
                    "online": {"platform": "Jitsi", "join_url": "https://meet.lumiere-entraide.example.org/anxiete", "join_url_visibility": "public"},
                    "status": "published"}),
                json!({"external_id": "survivantes", "name": "Cercle des survivantes",
                    "summary": "Pour les femmes ayant vécu des violences, à leur rythme. Lieu communiqué sur demande.",
                    "topics": ["abuse", "trauma"], "format": "in_person", "facilitation": "professional",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=MO", "starts_at": "2026-01-05T13:30:00", "timezone": "America/Toronto", "duration_minutes": 90},
                    "recovery_stages": ["moratorium", "awareness", "preparation"], "support_types": ["emotional", "validation", "instrumental"],
                    "languages": ["fr"], "audience": ["women"], "cost": {"kind": "free"}, "anonymous_participation": true,
                    "content_notes": ["domestic violence"],
                    "location": {"visibility": "on_request", "locality": "Montréal", "region": "Québec", "country": "CA",
                                 "latitude": 45.5300, "longitude": -73.6000},
                    "contact": {"email": "cercle@lumiere-entraide.example.org"}, "status": "published"}),
            ],
            events: vec![],
            resources: vec![
                json!({"external_id": "988-ca", "name": "9-8-8 Suicide Crisis Helpline", "url": "https://988.ca/",
                "kind": "hotline", "crisis": true, "phone": "988", "country": "CA", "languages": ["en", "fr"],
                "topics": ["depression", "self_harm"], "status": "published",
                "summary": "Call or text 9-8-8, any time, if you are thinking about suicide or worried about someone."}),
            ],
        },
        DemoOrg {
            org: json!({"name": "Open Door Online", "slug": "open-door-online", "kind": "online_forum",
                "description": "An online peer community: drop in from anywhere, cameras optional.",
                "website": "https://opendoor.example.org/", "social_links": [{"platform": "tumblr", "url": "https://tumblr.com/opendooronline"}],
                "area_served": "Online, worldwide (English)"}),
            groups: vec![
                json!({"external_id": "lunch-drop-in", "name": "Lunchtime loneliness drop-in",
                    "summary": "Thirty minutes of company on weekdays: bring your lunch, say hello.",
                    "topics": ["loneliness", "general"], "format": "online", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "starts_at": "2026-01-05T12:30:00", "timezone": "Europe/London", "duration_minutes": 45},
                    "support_types": ["companionship", "network"], "languages": ["en"], "capacity": 60, "anonymous_participation": true,
                    "online": {"platform": "Jitsi", "join_url": "https://meet.opendoor.example.org/lunch", "join_url_visibility": "public"},
                    "status": "published"}),
                json!({"external_id": "night-owls", "name": "Night owls: daily late-evening check-in",
                    "summary": "For when evenings are hardest. A calm space to check in before bed.",
                    "topics": ["depression", "anxiety"], "format": "online", "facilitation": "peer_led",
                    "schedule": {"rrule": "FREQ=DAILY", "starts_at": "2026-01-01T21:00:00", "timezone": "America/New_York", "duration_minutes": 60},
                    "recovery_stages": ["moratorium", "awareness"], "support_types": ["emotional", "companionship"],
                    "languages": ["en"], "anonymous_participation": true,
                    "online": {"platform": "Discord", "join_url": "https://chat.opendoor.example.org/night-owls", "join_url_visibility": "on_request",
                               "instructions": "Email us and we'll send the invite."},
                    "status": "published"}),
                json!({"external_id": "ocd-online", "name": "OCD online peer support",
                    "summary": "Intrusive thoughts, rituals, reassurance: talk to people who get it.",
                    "topics": ["ocd", "anxiety"], "format": "online", "facilitation": "co_facilitated",
                    "schedule": {"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", "starts_at": "2026-01-04T17:00:00", "timezone": "Australia/Sydney", "duration_minutes": 90},
                    "recovery_stages": ["preparation", "rebuilding"], "support_types": ["informational", "esteem"],
                    "languages": ["en"], "cost": {"kind": "paid", "amount": "8.00", "currency": "AUD"},
                    "online": {"platform": "Zoom", "join_url": "https://meet.opendoor.example.org/ocd", "join_url_visibility": "on_request"},
                    "status": "published"}),
                json!({"external_id": "self-harm-youth", "name": "Self-harm peer support for young people",
                    "summary": "A moderated, anonymous space for 16–24s; no pressure to share.",
                    "topics": ["self_harm"], "format": "online", "facilitation": "professional",
                    "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=TH", "starts_at": "2026-01-08T19:00:00", "timezone": "Europe/Dublin", "duration_minutes": 60},
                    "recovery_stages": ["awareness", "preparation"], "support_types": ["emotional", "validation"],
                    "languages": ["en"], "audience": ["youth"], "anonymous_participation": true, "content_notes": ["self-harm"],
                    "online": {"platform": "Whereby", "join_url": "https://meet.opendoor.example.org/youth", "join_url_visibility": "on_request"},
                    "status": "published"}),
            ],
            events: vec![
                json!({"group": 0, "external_id": "talk-loneliness", "name": "Online talk: loneliness is not a personal failing",
                "starts_at": "2027-02-04T19:00:00", "ends_at": "2027-02-04T20:00:00", "timezone": "Europe/London",
                "rrule": "FREQ=MONTHLY;BYDAY=1TH;COUNT=3", "format": "online", "topics": ["loneliness"],
                "online": {"platform": "Jitsi", "join_url": "https://meet.opendoor.example.org/talks", "join_url_visibility": "public"},
                "listing_status": "published"}),
            ],
            resources: vec![
                json!({"external_id": "988-us", "name": "988 Suicide & Crisis Lifeline", "url": "https://988lifeline.org/",
                "kind": "hotline", "crisis": true, "phone": "988", "country": "US", "languages": ["en", "es"],
                "topics": ["depression", "self_harm", "general"], "status": "published",
                "summary": "Call or text 988 any time for free, confidential support in a crisis."}),
            ],
        },
    ]
}

fn parse<T: serde::de::DeserializeOwned>(what: &'static str, v: Value) -> Result<T, SeedError> {
    serde_json::from_value(v).map_err(|e| SeedError::Invalid {
        what,
        which: "demo".into(),
        detail: e.to_string(),
    })
}

/// What `run` did: loaded the demo, or found it already there.
pub enum Outcome {
    Loaded(Summary),
    AlreadyLoaded,
}

/// Load the demo directory in one transaction, unless it is there already.
pub fn run(conn: &mut DbConnection) -> Result<Outcome, SeedError> {
    let started = std::time::Instant::now();
    if crate::organizations::queries::find(conn, MARKER_SLUG)?.is_some() {
        return Ok(Outcome::AlreadyLoaded);
    }
    let mut summary = crate::db::write_transaction(conn, |conn| -> Result<Summary, SeedError> {
        let mut s = Summary::default();
        for d in directory() {
            let org: OrganizationWrite = parse("organization", d.org)?;
            expect_valid(
                "organization",
                org.slug.as_deref().unwrap_or(""),
                org.validate(),
            )?;
            let org_id = crate::organizations::queries::create(conn, &org)?.id;
            s.organizations += 1;
            let mut ids = Vec::new();
            for g in d.groups {
                let mut w: GroupWrite = parse("group", g)?;
                let ext = w.external_id.clone().unwrap_or_default();
                expect_valid("group", &ext, w.validate())?;
                let p = crate::groups::queries::Prepared::new(w)?;
                ids.push(store::insert::<Group>(conn, &org_id, &p)?);
                let w = p.write;
                s.groups += 1;
                s.drafts += u64::from(w.status == ListingStatus::Draft);
            }
            for mut e in d.events {
                let group = e
                    .as_object_mut()
                    .and_then(|o| o.remove("group"))
                    .and_then(|g| g.as_u64());
                let mut w: EventWrite = parse("event", e)?;
                w.group_id = group.and_then(|g| ids.get(g as usize).cloned());
                let ext = w.external_id.clone().unwrap_or_default();
                let recurrence = expect_valid("event", &ext, w.validate())?;
                let p = crate::events::queries::Prepared::new(w, recurrence)?;
                store::insert::<Event>(conn, &org_id, &p)?;
                s.events += 1;
            }
            for r in d.resources {
                let w: ResourceWrite = parse("resource", r)?;
                let ext = w.external_id.clone().unwrap_or_default();
                let p = expect_valid("resource", &ext, Resource::prepare(w))?;
                store::insert::<Resource>(conn, &org_id, &p)?;
                let w = p.write;
                s.resources += 1;
                s.crisis_resources += u64::from(w.crisis);
            }
        }
        Ok(s)
    })?;
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(Outcome::Loaded(summary))
}
