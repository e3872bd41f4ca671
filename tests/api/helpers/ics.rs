//! Reading iCalendar feeds with an independent parser (the `ical` crate, not
//! the `icalendar` crate the service writes with): the raw body's CRLF line
//! ends, line lengths and folding, VEVENTs by UID, their DTSTART/DTEND with
//! TZID, RRULE and EXDATE checked against the JSON, the VTIMEZONEs, and the
//! parsed rules expanded with the `rrule` crate.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use ical::parser::ical::component::{IcalCalendar, IcalEvent, IcalTimeZone};
use ical::property::Property;
use serde_json::Value;

use crate::helpers::{Reply, TestApp};

pub const ICS_LOCAL: &str = "%Y%m%dT%H%M%S";

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

pub fn naive(v: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(v.as_str().expect("a local time"), "%Y-%m-%dT%H:%M:%S")
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

pub fn utc(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .with_timezone(&Utc)
}

/// A feed as served: checks status, content type, CRLF line ends and line
/// lengths on the raw body; returns the raw text and the parsed calendar.
pub async fn feed(app: &TestApp, path: &str) -> (String, IcalCalendar) {
    let reply: Reply = app.get(path).await;
    assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8"),
        "{path}: content type"
    );
    let raw = reply.text;
    assert!(raw.starts_with("BEGIN:VCALENDAR\r\n"), "{path}: {raw}");
    assert!(raw.ends_with("END:VCALENDAR\r\n"), "{path}: ends {raw:?}");
    let body = raw.strip_suffix("\r\n").expect("a final CRLF");
    for (i, line) in body.split("\r\n").enumerate() {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "{path}: line {} has a bare CR or LF: {line:?}",
            i + 1
        );
        assert!(
            line.len() <= 75,
            "{path}: line {} is {} octets: {line:?}",
            i + 1,
            line.len()
        );
        assert!(!line.is_empty(), "{path}: line {} is empty", i + 1);
    }
    let mut calendars: Vec<IcalCalendar> = ical::IcalParser::new(BufReader::new(raw.as_bytes()))
        .map(|c| {
            c.unwrap_or_else(|e| panic!("{path}: the ical crate rejects the feed: {e}\n{raw}"))
        })
        .collect();
    assert_eq!(calendars.len(), 1, "{path}: one VCALENDAR");
    let cal = calendars.pop().expect("a calendar");
    assert!(
        props(&cal.properties, "VERSION")
            .iter()
            .any(|p| p.value.as_deref() == Some("2.0")),
        "{path}: VERSION:2.0"
    );
    assert!(
        !props(&cal.properties, "PRODID").is_empty(),
        "{path}: PRODID"
    );
    (raw, cal)
}

/// The raw body with folded lines joined back (RFC 5545 §3.1).
pub fn unfold(raw: &str) -> String {
    raw.replace("\r\n ", "").replace("\r\n\t", "")
}

pub fn props<'a>(ps: &'a [Property], name: &str) -> Vec<&'a Property> {
    ps.iter().filter(|p| p.name == name).collect()
}

pub fn prop<'a>(ps: &'a [Property], name: &str) -> Option<&'a Property> {
    let found = props(ps, name);
    assert!(found.len() <= 1, "{name} appears {} times", found.len());
    found.into_iter().next()
}

pub fn value(ps: &[Property], name: &str) -> Option<String> {
    prop(ps, name).and_then(|p| p.value.clone())
}

pub fn param(p: &Property, name: &str) -> Option<Vec<String>> {
    p.params
        .as_ref()?
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// RFC 5545 TEXT unescaping.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// VEVENTs by UID (each UID once).
pub fn events_by_uid(cal: &IcalCalendar) -> BTreeMap<String, &IcalEvent> {
    let mut out = BTreeMap::new();
    for e in &cal.events {
        let uid = value(&e.properties, "UID").expect("every VEVENT has a UID");
        assert!(
            value(&e.properties, "DTSTAMP").is_some(),
            "{uid}: DTSTAMP is required"
        );
        assert!(out.insert(uid.clone(), e).is_none(), "UID {uid} twice");
    }
    out
}

pub fn zones(cal: &IcalCalendar) -> BTreeMap<String, &IcalTimeZone> {
    cal.timezones
        .iter()
        .map(|z| (value(&z.properties, "TZID").expect("a TZID"), z))
        .collect()
}

/// DTSTART or DTEND: (TZID, local time).
pub fn local_time(e: &IcalEvent, name: &str) -> (String, NaiveDateTime) {
    let p = prop(&e.properties, name).unwrap_or_else(|| panic!("no {name}"));
    let tzid = param(p, "TZID").unwrap_or_else(|| panic!("{name} without TZID: {p:?}"));
    assert_eq!(tzid.len(), 1, "{p:?}");
    let v = p.value.as_deref().expect("a value");
    let t = NaiveDateTime::parse_from_str(v, ICS_LOCAL)
        .unwrap_or_else(|e| panic!("{name} `{v}` is not a local date-time: {e}"));
    (tzid[0].clone(), t)
}

/// Check a VEVENT against an event's public JSON.
pub fn check_event(e: &IcalEvent, ev: &Value) {
    let uid = format!("event-{}@circles", id_of(ev));
    let tz = ev["timezone"].as_str().unwrap();
    assert_eq!(value(&e.properties, "UID").as_deref(), Some(uid.as_str()));
    assert_eq!(
        local_time(e, "DTSTART"),
        (tz.to_owned(), naive(&ev["starts_at"])),
        "{uid}: DTSTART"
    );
    assert_eq!(
        local_time(e, "DTEND"),
        (tz.to_owned(), naive(&ev["ends_at"])),
        "{uid}: DTEND"
    );
    assert_eq!(
        value(&e.properties, "RRULE"),
        ev["rrule"].as_str().map(str::to_owned),
        "{uid}: RRULE"
    );
    let exdates: Vec<NaiveDateTime> = ev["exdates"]
        .as_array()
        .unwrap()
        .iter()
        .map(naive)
        .collect();
    let mut got = Vec::new();
    for p in props(&e.properties, "EXDATE") {
        assert_eq!(param(p, "TZID"), Some(vec![tz.to_owned()]), "{uid}: {p:?}");
        for v in p.value.as_deref().unwrap_or("").split(',') {
            got.push(
                NaiveDateTime::parse_from_str(v, ICS_LOCAL)
                    .unwrap_or_else(|e| panic!("{uid}: EXDATE `{v}`: {e}")),
            );
        }
    }
    got.sort();
    assert_eq!(got, exdates, "{uid}: EXDATE");
    let status = match ev["status"].as_str().unwrap() {
        "scheduled" => "CONFIRMED",
        "cancelled" => "CANCELLED",
        "postponed" => "TENTATIVE",
        other => panic!("status {other}"),
    };
    assert_eq!(
        value(&e.properties, "STATUS").as_deref(),
        Some(status),
        "{uid}: STATUS"
    );
    assert_eq!(
        value(&e.properties, "SEQUENCE"),
        Some((ev["version"].as_i64().unwrap() - 1).to_string()),
        "{uid}: SEQUENCE"
    );
    assert_eq!(
        value(&e.properties, "SUMMARY")
            .map(|s| unescape(&s))
            .as_deref(),
        ev["name"].as_str(),
        "{uid}: SUMMARY"
    );
}

/// Check a VEVENT against a group's public JSON; returns its RRULE.
pub fn check_group(e: &IcalEvent, g: &Value) -> String {
    let uid = format!("group-{}@circles", id_of(g));
    let s = &g["schedule"];
    let tz = s["timezone"].as_str().unwrap();
    let start = naive(&s["starts_at"]);
    assert_eq!(value(&e.properties, "UID").as_deref(), Some(uid.as_str()));
    assert_eq!(
        local_time(e, "DTSTART"),
        (tz.to_owned(), start),
        "{uid}: DTSTART"
    );
    assert_eq!(
        local_time(e, "DTEND"),
        (
            tz.to_owned(),
            start + Duration::minutes(s["duration_minutes"].as_i64().unwrap())
        ),
        "{uid}: DTEND"
    );
    assert_eq!(
        value(&e.properties, "SEQUENCE"),
        Some((g["version"].as_i64().unwrap() - 1).to_string()),
        "{uid}: SEQUENCE"
    );
    assert_eq!(
        value(&e.properties, "SUMMARY")
            .map(|s| unescape(&s))
            .as_deref(),
        g["name"].as_str()
    );
    assert!(props(&e.properties, "EXDATE").is_empty());
    value(&e.properties, "RRULE").expect("a group's VEVENT repeats")
}

/// The UTC starts of a parsed VEVENT in `[from, to)`, expanded by the
/// `rrule` crate from the parsed DTSTART, RRULE and EXDATE.
pub fn expand(e: &IcalEvent, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let (tz, start) = local_time(e, "DTSTART");
    let mut text = format!("DTSTART;TZID={tz}:{}\n", start.format(ICS_LOCAL));
    match value(&e.properties, "RRULE") {
        Some(r) => text.push_str(&format!("RRULE:{r}\n")),
        None => text.push_str("RRULE:FREQ=DAILY;COUNT=1\n"),
    }
    for p in props(&e.properties, "EXDATE") {
        let z = param(p, "TZID").expect("EXDATE TZID");
        text.push_str(&format!(
            "EXDATE;TZID={}:{}\n",
            z[0],
            p.value.as_deref().unwrap()
        ));
    }
    let set: rrule::RRuleSet = text
        .trim_end()
        .parse()
        .unwrap_or_else(|err| panic!("the rrule crate rejects {text:?}: {err}"));
    let all = set.all(5000);
    all.dates
        .iter()
        .map(|d| d.with_timezone(&Utc))
        .filter(|d| *d >= from && *d < to)
        .collect()
}

/// The transitions of a VTIMEZONE: (kind, DTSTART, TZOFFSETFROM, TZOFFSETTO).
pub fn transitions(z: &IcalTimeZone) -> Vec<(String, String, String, String)> {
    z.transitions
        .iter()
        .map(|t| {
            let kind = format!("{:?}", t.transition).to_uppercase();
            let get = |n: &str| value(&t.properties, n).unwrap_or_default();
            (kind, get("DTSTART"), get("TZOFFSETFROM"), get("TZOFFSETTO"))
        })
        .collect()
}

pub fn has_transition(z: &IcalTimeZone, want: (&str, &str, &str, &str)) -> bool {
    transitions(z)
        .iter()
        .any(|(k, d, f, t)| (k.as_str(), d.as_str(), f.as_str(), t.as_str()) == want)
}

/// Every zone used by a VEVENT has a VTIMEZONE, and no other is sent.
pub fn check_zones(what: &str, cal: &IcalCalendar) {
    let used: BTreeSet<String> = cal
        .events
        .iter()
        .map(|e| local_time(e, "DTSTART").0)
        .collect();
    let zs = zones(cal);
    let sent: BTreeSet<String> = zs.keys().cloned().collect();
    assert_eq!(sent, used, "{what}: VTIMEZONEs");
    for (name, z) in &zs {
        assert!(
            !z.transitions.is_empty(),
            "{what}: {name} has no observance"
        );
    }
    if let Some(z) = zs.get("Europe/London") {
        assert!(
            has_transition(z, ("DAYLIGHT", "20270328T010000", "+0000", "+0100")),
            "{what}: London's 2027 spring change: {:?}",
            transitions(z)
        );
        assert!(
            has_transition(z, ("STANDARD", "20271031T020000", "+0100", "+0000")),
            "{what}: London's 2027 autumn change: {:?}",
            transitions(z)
        );
    }
    if let Some(z) = zs.get("America/New_York") {
        assert!(
            has_transition(z, ("DAYLIGHT", "20270314T020000", "-0500", "-0400")),
            "{what}: New York's 2027 spring change: {:?}",
            transitions(z)
        );
        assert!(
            has_transition(z, ("STANDARD", "20271107T020000", "-0400", "-0500")),
            "{what}: New York's 2027 autumn change: {:?}",
            transitions(z)
        );
    }
    if let Some(z) = zs.get("Asia/Kolkata") {
        assert!(
            transitions(z).iter().all(|(_, _, _, to)| to == "+0530"),
            "{what}: Kolkata: {:?}",
            transitions(z)
        );
    }
}

pub fn uids(cal: &IcalCalendar) -> BTreeSet<String> {
    events_by_uid(cal).keys().cloned().collect()
}

pub fn event_uid(v: &Value) -> String {
    format!("event-{}@circles", id_of(v))
}

pub fn group_uid(id: &str) -> String {
    format!("group-{id}@circles")
}

pub async fn public_event(app: &TestApp, e: &Value) -> Value {
    app.get(&format!("/v1/events/{}", id_of(e)))
        .await
        .expect(200)
}
