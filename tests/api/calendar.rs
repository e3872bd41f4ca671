//! iCalendar feeds, read by an independent parser (the `ical` crate, not the
//! `icalendar` crate the service writes with) and compared with the JSON:
//! one VEVENT per published listing, stable UIDs, local DTSTART with TZID,
//! RRULE and EXDATE as written, SEQUENCE, STATUS, VTIMEZONEs, folding and
//! CRLF; the parsed rules expanded with the `rrule` crate give the same
//! instants as the JSON occurrences. Feeds never show what the JSON hides.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use ical::parser::ical::component::{IcalCalendar, IcalEvent, IcalTimeZone};
use ical::property::Property;
use serde_json::{json, Value};

use crate::helpers::{event_body, group_body, in_person_body, spawn_app, Reply, TestApp};

const ICS_LOCAL: &str = "%Y%m%dT%H%M%S";

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

fn naive(v: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(v.as_str().expect("a local time"), "%Y-%m-%dT%H:%M:%S")
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

fn utc(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .with_timezone(&Utc)
}

/// A feed as served: checks status, content type, CRLF line ends and line
/// lengths on the raw body; returns the raw text and the parsed calendar.
async fn feed(app: &TestApp, path: &str) -> (String, IcalCalendar) {
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
fn unfold(raw: &str) -> String {
    raw.replace("\r\n ", "").replace("\r\n\t", "")
}

fn props<'a>(ps: &'a [Property], name: &str) -> Vec<&'a Property> {
    ps.iter().filter(|p| p.name == name).collect()
}

fn prop<'a>(ps: &'a [Property], name: &str) -> Option<&'a Property> {
    let found = props(ps, name);
    assert!(found.len() <= 1, "{name} appears {} times", found.len());
    found.into_iter().next()
}

fn value(ps: &[Property], name: &str) -> Option<String> {
    prop(ps, name).and_then(|p| p.value.clone())
}

fn param(p: &Property, name: &str) -> Option<Vec<String>> {
    p.params
        .as_ref()?
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// RFC 5545 TEXT unescaping.
fn unescape(s: &str) -> String {
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
fn events_by_uid(cal: &IcalCalendar) -> BTreeMap<String, &IcalEvent> {
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

fn zones(cal: &IcalCalendar) -> BTreeMap<String, &IcalTimeZone> {
    cal.timezones
        .iter()
        .map(|z| (value(&z.properties, "TZID").expect("a TZID"), z))
        .collect()
}

/// DTSTART or DTEND: (TZID, local time).
fn local_time(e: &IcalEvent, name: &str) -> (String, NaiveDateTime) {
    let p = prop(&e.properties, name).unwrap_or_else(|| panic!("no {name}"));
    let tzid = param(p, "TZID").unwrap_or_else(|| panic!("{name} without TZID: {p:?}"));
    assert_eq!(tzid.len(), 1, "{p:?}");
    let v = p.value.as_deref().expect("a value");
    let t = NaiveDateTime::parse_from_str(v, ICS_LOCAL)
        .unwrap_or_else(|e| panic!("{name} `{v}` is not a local date-time: {e}"));
    (tzid[0].clone(), t)
}

/// Check a VEVENT against an event's public JSON.
fn check_event(e: &IcalEvent, ev: &Value) {
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
fn check_group(e: &IcalEvent, g: &Value) -> String {
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
fn expand(e: &IcalEvent, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
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
fn transitions(z: &IcalTimeZone) -> Vec<(String, String, String, String)> {
    z.transitions
        .iter()
        .map(|t| {
            let kind = format!("{:?}", t.transition).to_uppercase();
            let get = |n: &str| value(&t.properties, n).unwrap_or_default();
            (kind, get("DTSTART"), get("TZOFFSETFROM"), get("TZOFFSETTO"))
        })
        .collect()
}

fn has_transition(z: &IcalTimeZone, want: (&str, &str, &str, &str)) -> bool {
    transitions(z)
        .iter()
        .any(|(k, d, f, t)| (k.as_str(), d.as_str(), f.as_str(), t.as_str()) == want)
}

/// Every zone used by a VEVENT has a VTIMEZONE, and no other is sent.
fn check_zones(what: &str, cal: &IcalCalendar) {
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

fn uids(cal: &IcalCalendar) -> BTreeSet<String> {
    events_by_uid(cal).keys().cloned().collect()
}

fn event_uid(v: &Value) -> String {
    format!("event-{}@circles", id_of(v))
}

fn group_uid(id: &str) -> String {
    format!("group-{id}@circles")
}

async fn public_event(app: &TestApp, e: &Value) -> Value {
    app.get(&format!("/v1/events/{}", id_of(e)))
        .await
        .expect(200)
}

#[tokio::test]
async fn feeds_parse_and_agree_with_the_json() {
    let app = spawn_app().await;
    let a = app.org("Calendar keepers").await;
    let b = app.org("Other keepers").await;

    // Groups: weekly London (rolling), weekly New York, a cohort, one
    // without a schedule, and a draft.
    let g_london = app.published_group(&a.token, json!({})).await;
    let g_ny = app
        .published_group(
            &a.token,
            json!({"name": "Monday circle, New York; evenings",
                   "schedule": {"rrule": "FREQ=WEEKLY;BYDAY=MO", "starts_at": "2027-01-04T18:30:00",
                                "timezone": "America/New_York", "duration_minutes": 90}}),
        )
        .await;
    let g_cohort = app
        .published_group(
            &a.token,
            json!({"enrollment": "cohort",
                   "cohort": {"starts_on": "2027-02-02", "ends_on": "2027-03-15"},
                   "schedule": {"rrule": "FREQ=WEEKLY", "starts_at": "2027-02-02T18:00:00",
                                "timezone": "Europe/London", "duration_minutes": 120}}),
        )
        .await;
    let g_unscheduled = app
        .published_group(&a.token, json!({"schedule": null}))
        .await;
    let g_draft = id_of(&app.create_group(&a.token, &group_body(json!({}))).await);

    // Events: a weekly London series with UNTIL and EXDATEs (of a group), a
    // cancelled monthly New York series, a Kolkata one-off with a long
    // description, a draft, a deleted one, and another organization's.
    let e_weekly = app
        .published_event(
            &a.token,
            json!({"group_id": g_london, "name": "Weekly walk, talk; tea",
                   "starts_at": "2027-01-05T18:00:00", "ends_at": "2027-01-05T19:30:00",
                   "rrule": "FREQ=WEEKLY;UNTIL=20271231T235959Z",
                   "exdates": ["2027-01-12T18:00:00", "2027-03-30T18:00:00", "2027-11-02T18:00:00"]}),
        )
        .await;
    let e_cancelled = app
        .published_event(
            &a.token,
            json!({"starts_at": "2027-01-12T19:00:00", "ends_at": "2027-01-12T20:30:00",
                   "timezone": "America/New_York", "rrule": "FREQ=MONTHLY;BYDAY=2TU;COUNT=12",
                   "status": "cancelled"}),
        )
        .await;
    let long = "A long description with commas, semicolons; backslashes \\ and \
                non-ASCII text — ünïcödé, 日本語 — so that lines must fold. "
        .repeat(6);
    let e_kolkata = app
        .published_event(
            &a.token,
            json!({"starts_at": "2027-02-20T10:00:00", "ends_at": "2027-02-20T16:00:00",
                   "timezone": "Asia/Kolkata", "description": long,
                   "name": "Ganz großes Treffen — 大集会 — a very long name to fold over the line"}),
        )
        .await;
    let e_draft = app.create_event(&a.token, &event_body(json!({}))).await;
    let e_deleted = app.published_event(&a.token, json!({})).await;
    app.delete(&format!("/v1/events/{}", id_of(&e_deleted)), &a.token)
        .await
        .expect(204);
    let e_other = app
        .published_event(
            &b.token,
            json!({"starts_at": "2027-06-01T09:00:00", "ends_at": "2027-06-01T10:00:00",
                   "timezone": "America/New_York", "rrule": "FREQ=DAILY;COUNT=3"}),
        )
        .await;

    let mut groups: BTreeMap<String, Value> = BTreeMap::new();
    for id in [&g_london, &g_ny, &g_cohort, &g_unscheduled] {
        let g = app.get(&format!("/v1/groups/{id}")).await.expect(200);
        groups.insert(id.clone(), g);
    }
    let ev_weekly = public_event(&app, &e_weekly).await;
    let ev_cancelled = public_event(&app, &e_cancelled).await;
    let ev_kolkata = public_event(&app, &e_kolkata).await;
    let ev_other = public_event(&app, &e_other).await;

    // The organization's feed: its scheduled published groups and its
    // published events.
    let (raw, org_cal) = feed(&app, &format!("/v1/organizations/{}/calendar.ics", a.slug)).await;
    let expected: BTreeSet<String> = [
        group_uid(&g_london),
        group_uid(&g_ny),
        group_uid(&g_cohort),
        event_uid(&ev_weekly),
        event_uid(&ev_cancelled),
        event_uid(&ev_kolkata),
    ]
    .into_iter()
    .collect();
    assert_eq!(uids(&org_cal), expected, "organization feed");
    for hidden in [
        group_uid(&g_unscheduled),
        group_uid(&g_draft),
        event_uid(&e_draft),
        event_uid(&e_deleted),
        event_uid(&e_other),
    ] {
        assert!(!unfold(&raw).contains(&hidden), "{hidden} is in the feed");
    }
    // By id too.
    let (_, by_id) = feed(&app, &format!("/v1/organizations/{}/calendar.ics", a.id)).await;
    assert_eq!(uids(&by_id), expected);
    check_zones("organization feed", &org_cal);
    let by_uid = events_by_uid(&org_cal);
    for ev in [&ev_weekly, &ev_cancelled, &ev_kolkata] {
        check_event(by_uid[&event_uid(ev)], ev);
    }
    assert_eq!(
        value(&by_uid[&event_uid(&ev_cancelled)].properties, "STATUS").as_deref(),
        Some("CANCELLED")
    );
    let kolkata = by_uid[&event_uid(&ev_kolkata)];
    assert!(value(&kolkata.properties, "DESCRIPTION").is_some());
    // The `ical` crate trims white space at the end of each physical line,
    // so the text is read from the raw feed, unfolded as RFC 5545 says.
    let description = unfold(&raw)
        .split("\r\n")
        .find(|l| l.starts_with("DESCRIPTION:") && l.contains("long description"))
        .map(|l| unescape(&l["DESCRIPTION:".len()..]));
    assert_eq!(
        description,
        Some(format!(
            "Drop in, have a cup of tea, ask anything.\n\n{long}"
        )),
        "the description survives escaping and folding"
    );
    for (id, g) in &groups {
        if g["schedule"].is_null() {
            continue;
        }
        let rule = check_group(by_uid[&group_uid(id)], g);
        let written = g["schedule"]["rrule"].as_str().unwrap();
        if g["enrollment"] == "cohort" {
            // The cohort's last meeting ends the series (its UTC start);
            // `cohort_feeds_agree_with_cohort_occurrences` checks the dates.
            assert_eq!(rule, format!("{written};UNTIL=20270309T180000Z"), "cohort");
        } else {
            assert_eq!(rule, written, "group {id}: RRULE");
        }
    }

    // The group feed: the group and its events only.
    let (_, group_cal) = feed(&app, &format!("/v1/groups/{g_london}/calendar.ics")).await;
    assert_eq!(
        uids(&group_cal),
        [group_uid(&g_london), event_uid(&ev_weekly)]
            .into_iter()
            .collect::<BTreeSet<_>>()
    );
    check_zones("group feed", &group_cal);
    let gu = events_by_uid(&group_cal);
    check_group(gu[&group_uid(&g_london)], &groups[&g_london]);
    check_event(gu[&event_uid(&ev_weekly)], &ev_weekly);
    let (_, cohort_cal) = feed(&app, &format!("/v1/groups/{g_cohort}/calendar.ics")).await;
    assert_eq!(uids(&cohort_cal).len(), 1);
    let (_, unscheduled_cal) =
        feed(&app, &format!("/v1/groups/{g_unscheduled}/calendar.ics")).await;
    assert!(unscheduled_cal.events.is_empty());
    assert!(unscheduled_cal.timezones.is_empty());
    app.get(&format!("/v1/groups/{g_draft}/calendar.ics"))
        .await
        .problem(404, "not_found");
    app.get("/v1/organizations/no-such-org/calendar.ics")
        .await
        .problem(404, "not_found");

    // The events feed: every published event, filters as in JSON.
    let (_, events_cal) = feed(&app, "/v1/events.ics").await;
    assert_eq!(
        uids(&events_cal),
        [&ev_weekly, &ev_cancelled, &ev_kolkata, &ev_other]
            .iter()
            .map(|e| event_uid(e))
            .collect::<BTreeSet<_>>()
    );
    check_zones("events feed", &events_cal);
    let eu = events_by_uid(&events_cal);
    for ev in [&ev_weekly, &ev_cancelled, &ev_kolkata, &ev_other] {
        check_event(eu[&event_uid(ev)], ev);
    }
    let (_, filtered) = feed(&app, &format!("/v1/events.ics?organization={}", b.slug)).await;
    assert_eq!(
        uids(&filtered),
        [event_uid(&ev_other)].into_iter().collect::<BTreeSet<_>>()
    );
    check_zones("filtered events feed", &filtered);
    // With a window: the events that occur in it.
    let (_, june) = feed(
        &app,
        "/v1/events.ics?from=2027-06-01T00:00:00Z&to=2027-07-01T00:00:00Z",
    )
    .await;
    assert_eq!(
        uids(&june),
        [&ev_weekly, &ev_cancelled, &ev_other]
            .iter()
            .map(|e| event_uid(e))
            .collect::<BTreeSet<_>>(),
        "events of June 2027"
    );
    let (_, cancelled) = feed(&app, "/v1/events.ics?status=cancelled").await;
    assert_eq!(
        uids(&cancelled),
        [event_uid(&ev_cancelled)]
            .into_iter()
            .collect::<BTreeSet<_>>()
    );

    // The parsed rules, expanded by the rrule crate, give the JSON's instants.
    let (from, to) = ("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
    let (f, t) = (utc(&json!(from)), utc(&json!(to)));
    let occ = app.occurrences(from, to, "").await;
    let mut json_starts: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    for o in &occ {
        json_starts
            .entry(format!("event-{}@circles", o["event_id"].as_str().unwrap()))
            .or_default()
            .push(utc(&o["starts_at"]));
    }
    for (uid, e) in &eu {
        let expanded = expand(e, f, t);
        assert!(!expanded.is_empty(), "{uid}: no occurrence in 2027");
        assert_eq!(
            json_starts.get(uid).cloned().unwrap_or_default(),
            expanded,
            "{uid}: JSON occurrences and the expanded feed differ"
        );
    }
    assert_eq!(json_starts.len(), eu.len(), "occurrences of unknown events");
    assert_eq!(json_starts[&event_uid(&ev_weekly)].len(), 52 - 3);
    // Groups: the feed's rules against the group's occurrences.
    for (id, e) in events_by_uid(&org_cal) {
        let Some(gid) = id
            .strip_prefix("group-")
            .and_then(|s| s.strip_suffix("@circles"))
        else {
            continue;
        };
        let body = app
            .get(&format!("/v1/groups/{gid}/occurrences?from={from}&to={to}"))
            .await
            .expect(200);
        let json: Vec<DateTime<Utc>> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| utc(&o["starts_at"]))
            .collect();
        assert_eq!(expand(e, f, t), json, "group {gid}");
        assert!(!json.is_empty(), "group {gid}");
    }

    // SEQUENCE grows by one with each change; the UID stays.
    let path = format!("/v1/events/{}", id_of(&ev_weekly));
    let changed = app
        .patch(&path, &a.token, &json!({"name": "Weekly walk"}))
        .await
        .expect(200);
    let (_, after) = feed(&app, "/v1/events.ics").await;
    let au = events_by_uid(&after);
    let before_seq: i64 = value(&eu[&event_uid(&ev_weekly)].properties, "SEQUENCE")
        .unwrap()
        .parse()
        .unwrap();
    let after_seq: i64 = value(&au[&event_uid(&ev_weekly)].properties, "SEQUENCE")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(after_seq, before_seq + 1);
    check_event(
        au[&event_uid(&ev_weekly)],
        &app.get(&path).await.expect(200),
    );
    assert_eq!(
        changed["version"],
        ev_weekly["version"].as_i64().unwrap() + 1
    );
    // Cancelling shows in the feed.
    app.patch(&path, &a.token, &json!({"status": "cancelled"}))
        .await
        .expect(200);
    let (_, after) = feed(&app, "/v1/events.ics").await;
    let au = events_by_uid(&after);
    let e = au[&event_uid(&ev_weekly)];
    assert_eq!(value(&e.properties, "STATUS").as_deref(), Some("CANCELLED"));
    assert_eq!(
        value(&e.properties, "SEQUENCE"),
        Some((before_seq + 2).to_string())
    );
    // A group's change too.
    app.patch(
        &format!("/v1/groups/{g_ny}"),
        &a.token,
        &json!({"name": "Monday circle"}),
    )
    .await
    .expect(200);
    let (_, after) = feed(&app, &format!("/v1/groups/{g_ny}/calendar.ics")).await;
    let ge = events_by_uid(&after);
    let g_seq = value(&ge[&group_uid(&g_ny)].properties, "SEQUENCE").unwrap();
    assert_eq!(
        g_seq,
        groups[&g_ny]["version"].as_i64().unwrap().to_string(),
        "the group's SEQUENCE after one change"
    );
    // Deleting removes the VEVENT.
    app.delete(&path, &a.token).await.expect(204);
    let (_, after) = feed(&app, "/v1/events.ics").await;
    assert!(!uids(&after).contains(&event_uid(&ev_weekly)));
}

#[tokio::test]
async fn feeds_never_show_what_the_json_hides() {
    let app = spawn_app().await;
    let org = app.org("Discreet").await;
    let secret_place = json!({
        "visibility": "on_request", "name": "Secret hall", "street_address": "1 Secret Lane",
        "locality": "Islington", "region": "Greater London", "postal_code": "N1 9ZZ",
        "country": "GB", "latitude": 51.54321, "longitude": -0.10987
    });
    let area_place = json!({
        "visibility": "area_only", "name": "Hidden hall", "street_address": "2 Hidden Road",
        "locality": "Hackney", "region": "Greater London", "postal_code": "E8 1ZZ",
        "country": "GB", "latitude": 51.54567, "longitude": -0.05678
    });
    let private_link = "https://meet.example.org/private-room-4821";
    let private_event_link = "https://meet.example.org/private-event-7731";
    let public_link = "https://meet.example.org/public-event-1234";

    let on_request_group = app
        .published_group(
            &org.token,
            in_person_body(json!({
                "format": "hybrid", "location": secret_place,
                "online": {"platform": "Jitsi", "join_url": private_link}
            })),
        )
        .await;
    let area_group = app
        .published_group(
            &org.token,
            in_person_body(json!({
                "location": area_place,
                "online": {"platform": "Jitsi", "join_url": private_link,
                           "join_url_visibility": "area_only"},
                "format": "hybrid"
            })),
        )
        .await;
    let on_request_event = app
        .published_event(
            &org.token,
            json!({"group_id": on_request_group, "format": "hybrid", "location": secret_place,
                   "online": {"join_url": private_event_link}, "rrule": "FREQ=WEEKLY;COUNT=4"}),
        )
        .await;
    let area_event = app
        .published_event(
            &org.token,
            json!({"group_id": area_group, "format": "in_person", "online": null,
                   "location": area_place}),
        )
        .await;
    let public_event = app
        .published_event(
            &org.token,
            json!({"online": {"join_url": public_link, "join_url_visibility": "public"}}),
        )
        .await;

    let secret_strings = [
        "1 Secret Lane",
        "Secret hall",
        "N1 9ZZ",
        "Islington",
        "51.54321",
        "-0.10987",
        "0.10987",
    ];
    let area_hidden = [
        "2 Hidden Road",
        "Hidden hall",
        "E8 1ZZ",
        "51.54567",
        "0.05678",
    ];
    let paths = [
        format!("/v1/groups/{on_request_group}/calendar.ics"),
        format!("/v1/groups/{area_group}/calendar.ics"),
        format!("/v1/organizations/{}/calendar.ics", org.slug),
        "/v1/events.ics".to_owned(),
        "/v1/events.ics?from=2027-01-01T00:00:00Z&to=2027-06-01T00:00:00Z".to_owned(),
    ];
    let mut seen_area = false;
    let mut seen_public_link = false;
    for path in &paths {
        let (raw, cal) = feed(&app, path).await;
        let text = unfold(&raw);
        // Also with TEXT escaping undone, and with folds removed without
        // regard for where they fall.
        let plain = unescape(&raw.replace("\r\n ", "").replace("\r\n", "\n"));
        for s in secret_strings.iter().chain(&area_hidden) {
            for (how, body) in [("raw", &raw), ("unfolded", &text), ("unescaped", &plain)] {
                assert!(!body.contains(s), "{path} ({how}) shows `{s}`:\n{raw}");
            }
        }
        for link in [private_link, private_event_link] {
            assert!(!text.contains(link), "{path} shows the join link {link}");
            assert!(!plain.contains(link), "{path} shows the join link {link}");
        }
        for e in &cal.events {
            assert!(
                prop(&e.properties, "GEO").is_none(),
                "{path}: GEO on {:?}",
                value(&e.properties, "UID")
            );
            let uid = value(&e.properties, "UID").unwrap();
            let location = value(&e.properties, "LOCATION").map(|l| unescape(&l));
            if uid == group_uid(&on_request_group) || uid == event_uid(&on_request_event) {
                assert!(
                    location.is_none(),
                    "{path}: {uid} has LOCATION {location:?}"
                );
            }
            if uid == group_uid(&area_group) || uid == event_uid(&area_event) {
                let l = location.unwrap_or_else(|| panic!("{path}: {uid} has no LOCATION"));
                assert!(l.contains("Hackney"), "{path}: {uid}: {l}");
                assert!(!l.contains("Hidden Road"), "{path}: {uid}: {l}");
                seen_area = true;
            }
        }
        if text.contains(public_link) {
            seen_public_link = true;
        }
    }
    assert!(seen_area, "the area-only listings show their area");
    assert!(seen_public_link, "a public join link is shown");
    // The JSON agrees.
    for path in [
        format!("/v1/groups/{on_request_group}"),
        format!("/v1/events/{}", id_of(&on_request_event)),
    ] {
        let v = app.get(&path).await.expect(200);
        let text = v.to_string();
        for s in &secret_strings {
            assert!(!text.contains(s), "{path} shows `{s}`: {v}");
        }
        assert!(!text.contains(private_link) && !text.contains(private_event_link));
    }
    let v = app
        .get(&format!("/v1/events/{}", id_of(&public_event)))
        .await
        .expect(200);
    assert_eq!(v["online"]["join_url"], public_link);
}

/// RFC 5545 §3.6: PRODID and VERSION are required and MUST NOT occur more
/// than once in a VCALENDAR; METHOD at most once.
#[tokio::test]
async fn a_feed_has_one_prodid_and_one_version() {
    let app = spawn_app().await;
    let org = app.org("Header checkers").await;
    let group = app.published_group(&org.token, json!({})).await;
    app.published_event(&org.token, json!({})).await;
    for path in [
        format!("/v1/groups/{group}/calendar.ics"),
        format!("/v1/organizations/{}/calendar.ics", org.slug),
        "/v1/events.ics".to_owned(),
    ] {
        let (raw, cal) = feed(&app, &path).await;
        for (name, most) in [("PRODID", 1), ("VERSION", 1), ("METHOD", 1)] {
            let n = props(&cal.properties, name).len();
            assert!(
                (1..=most).contains(&n) || (name == "METHOD" && n == 0),
                "{path}: {name} occurs {n} times:\n{raw}"
            );
        }
    }
}

/// Names are TEXT: commas, semicolons and line breaks in a group's or an
/// organization's name are escaped, never written raw into the feed (where
/// a line break would start a new property or component).
#[tokio::test]
async fn names_cannot_break_a_feed() {
    let app = spawn_app().await;
    let org = app.org("Plain name").await;
    let injected = "Grief, loss; hope\r\nBEGIN:VEVENT\r\nUID:injected@evil\r\n\
                    SUMMARY:Injected\r\nDTSTART:20270101T000000Z\r\nEND:VEVENT";
    let reply = app
        .post(
            "/v1/groups",
            &org.token,
            &group_body(json!({"name": injected, "status": "published"})),
        )
        .await;
    let mut paths = Vec::new();
    match reply.status.as_u16() {
        201 => {
            let id = id_of(&reply.json());
            paths.push(format!("/v1/groups/{id}/calendar.ics"));
        }
        // Rejecting control characters is fine too.
        422 => {}
        other => panic!(
            "creating a group with a multi-line name: {other} {}",
            reply.text
        ),
    }
    let renamed = app
        .patch(
            &format!("/v1/organizations/{}", org.id),
            &org.token,
            &json!({"name": injected}),
        )
        .await;
    assert!(
        [200, 422].contains(&renamed.status.as_u16()),
        "renaming: {} {}",
        renamed.status,
        renamed.text
    );
    app.published_group(&org.token, json!({"name": "Ordinary circle"}))
        .await;
    paths.push(format!("/v1/organizations/{}/calendar.ics", org.id));
    let mut problems = Vec::new();
    for path in &paths {
        let reply = app.get(path).await;
        assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
        let raw = reply.text;
        let body = raw.strip_suffix("\r\n").unwrap_or(&raw);
        if body
            .split("\r\n")
            .any(|l| l.contains('\n') || l.contains('\r'))
        {
            problems.push(format!("{path}: a bare line break in the feed:\n{raw}"));
        }
        if unfold(&raw).contains("\r\nUID:injected@evil") {
            problems.push(format!("{path}: the name injected a VEVENT:\n{raw}"));
        }
        for line in unfold(&raw).split("\r\n") {
            for prop in ["NAME:", "X-WR-CALNAME:"] {
                if let Some(v) = line.strip_prefix(prop) {
                    if v.contains("Grief, loss") || v.contains("Grief; loss") {
                        problems.push(format!(
                            "{path}: `{line}`: commas and semicolons of TEXT must be escaped"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A cohort group's feed shows the meetings its JSON lists: within the
/// cohort's dates, whatever the rule and first meeting say.
#[tokio::test]
async fn cohort_feeds_agree_with_cohort_occurrences() {
    let app = spawn_app().await;
    let org = app.org("Cohort calendars").await;
    let cohort = json!({"starts_on": "2027-02-01", "ends_on": "2027-03-15"});
    let schedule = |rule: &str, start: &str| {
        json!({"rrule": rule, "starts_at": start, "timezone": "Europe/London",
               "duration_minutes": 90})
    };
    let cases = [
        (
            "plain weekly",
            schedule("FREQ=WEEKLY", "2027-02-02T18:00:00"),
        ),
        (
            "first meeting before the cohort",
            schedule("FREQ=WEEKLY", "2027-01-05T18:00:00"),
        ),
        (
            "COUNT beyond the cohort",
            schedule("FREQ=WEEKLY;COUNT=20", "2027-02-02T18:00:00"),
        ),
        (
            "UNTIL beyond the cohort",
            schedule("FREQ=WEEKLY;UNTIL=20271231T235959Z", "2027-02-02T18:00:00"),
        ),
    ];
    let (from, to) = ("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
    let (f, t) = (utc(&json!(from)), utc(&json!(to)));
    let mut problems = Vec::new();
    for (what, s) in cases {
        let id = app
            .published_group(
                &org.token,
                json!({"enrollment": "cohort", "cohort": cohort, "schedule": s}),
            )
            .await;
        let body = app
            .get(&format!("/v1/groups/{id}/occurrences?from={from}&to={to}"))
            .await
            .expect(200);
        let json: Vec<DateTime<Utc>> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| utc(&o["starts_at"]))
            .collect();
        // Tuesdays from 2 February to 9 March.
        if json.len() != 6 {
            problems.push(format!("{what}: {} meetings in JSON: {body}", json.len()));
        }
        let (_, cal) = feed(&app, &format!("/v1/groups/{id}/calendar.ics")).await;
        let e = events_by_uid(&cal)[&group_uid(&id)];
        let expanded = expand(e, f, t);
        if expanded != json {
            problems.push(format!(
                "{what}: the feed (DTSTART {:?}, RRULE {:?}) gives {} meetings from {:?} to {:?}; the JSON {} from {:?} to {:?}",
                local_time(e, "DTSTART").1,
                value(&e.properties, "RRULE"),
                expanded.len(),
                expanded.first(),
                expanded.last(),
                json.len(),
                json.first(),
                json.last(),
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Found by schemathesis: the events feed accepted `limit=0` and any
/// `cursor`, which its documented parameters reject; they are now checked
/// like on `GET /v1/events` (the feed itself is not paged).
#[tokio::test]
async fn events_feed_checks_limit_and_cursor_like_the_json_list() {
    let app = spawn_app().await;
    app.get("/v1/events.ics?limit=0")
        .await
        .problem(400, "invalid_query");
    app.get("/v1/events.ics?limit=101")
        .await
        .problem(400, "invalid_query");
    let bad_cursor = app.get("/v1/events.ics?cursor=not-a-cursor").await;
    assert_eq!(bad_cursor.status.as_u16(), 400, "{}", bad_cursor.text);
    let ok = app.get("/v1/events.ics?limit=100").await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
}
