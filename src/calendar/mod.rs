//! iCalendar (RFC 5545) feeds of groups and events.
//!
//! Feeds are built from the *public* responses, so location and join-link
//! visibility hold exactly as in JSON. Repeating listings keep their RRULE
//! with local times and a `TZID`; each zone used gets a `VTIMEZONE` built
//! from the tz database. The `icalendar` crate writes the events (escaping
//! and folding at 75 octets).

pub mod handlers;

use std::collections::BTreeSet;
use std::fmt::Write;

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName};
use icalendar::{
    Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus as IcalStatus,
};

use crate::events::dto::EventResponse;
use crate::groups::dto::GroupResponse;
use crate::groups::dto::{meetings, meetings_between};
use crate::listing::{Location, OnlineDetails};
use crate::recurrence::{resolve_local, MAX_OCCURRENCES_PER_LISTING};
use crate::vocab::{Enrollment, EventStatus, Vocabulary};

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";
const ICAL_LOCAL: &str = "%Y%m%dT%H%M%S";

fn local(tzid: &str, t: NaiveDateTime) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: t,
        tzid: tzid.to_owned(),
    }
}

/// Address as one line, from what the public may see.
fn location_text(l: &Location) -> Option<String> {
    let parts: Vec<&str> = [
        &l.name,
        &l.street_address,
        &l.locality,
        &l.region,
        &l.postal_code,
        &l.country,
    ]
    .into_iter()
    .filter_map(|p| p.as_deref())
    .collect();
    (!parts.is_empty()).then(|| one_line(&parts.join(", ")))
}

fn describe(
    summary: Option<&str>,
    description: Option<&str>,
    online: Option<&OnlineDetails>,
) -> Option<String> {
    let mut parts: Vec<String> = [summary, description]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    if let Some(o) = online {
        if let Some(url) = &o.join_url {
            parts.push(format!("Join online: {url}"));
        }
        if let Some(i) = &o.instructions {
            parts.push(i.clone());
        }
    }
    (!parts.is_empty()).then(|| multi_line(&parts.join("\n\n")))
}

fn place(e: &mut Event, location: Option<&Location>) {
    let Some(l) = location else { return };
    if let Some(text) = location_text(l) {
        e.location(&text);
    }
    if let (Some(lat), Some(lon)) = (l.latitude, l.longitude) {
        e.add_property("GEO", format!("{lat};{lon}"));
    }
}

fn sequence(version: i64) -> u32 {
    u32::try_from(version - 1).unwrap_or(0)
}

/// One VEVENT for a group's schedule, if it has one. A cohort group's
/// series is clipped to its meetings within the cohort's dates, exactly as
/// the JSON occurrences are.
fn group_event(g: &GroupResponse) -> Option<(Event, chrono_tz::Tz, NaiveDateTime)> {
    let s = g.schedule.as_ref()?;
    let tz: chrono_tz::Tz = s.timezone.parse().ok()?;
    let (mut start, mut rule) = (s.starts_at, s.rrule.clone());
    if g.enrollment == Enrollment::Cohort {
        let m = meetings(Some(s), g.enrollment, g.cohort.as_ref())?;
        let (lo, hi) = m.1?;
        let (occurrences, _) = meetings_between(&m, lo, hi, MAX_OCCURRENCES_PER_LISTING);
        let (first, last) = (occurrences.first()?, occurrences.last()?);
        start = first.start.with_timezone(&tz).naive_local();
        let kept: Vec<&str> = rule
            .split(';')
            .filter(|p| {
                let p = p.to_ascii_uppercase();
                !p.starts_with("UNTIL=") && !p.starts_with("COUNT=")
            })
            .collect();
        rule = format!(
            "{};UNTIL={}",
            kept.join(";"),
            last.start.format("%Y%m%dT%H%M%SZ")
        );
    }
    // DTEND − DTSTART is the exact length (RFC 5545), also across a DST change.
    let end = (resolve_local(tz, start) + Duration::minutes(s.duration_minutes.into()))
        .with_timezone(&tz)
        .naive_local();
    let mut e = Event::new();
    e.uid(&format!("group-{}@circles", g.id))
        .timestamp(g.updated_at)
        .last_modified(g.updated_at)
        .sequence(sequence(g.version))
        .summary(&one_line(&g.name))
        .starts(local(tz.name(), start))
        .ends(local(tz.name(), end))
        .status(IcalStatus::Confirmed)
        .add_property("RRULE", rule)
        .add_property(
            "CATEGORIES",
            g.topics
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
    if let Some(d) = describe(
        g.summary.as_deref(),
        g.description.as_deref(),
        g.online.as_ref(),
    ) {
        e.description(&d);
    }
    if let Some(url) = g.contact.as_ref().and_then(|c| c.url.as_deref()) {
        e.url(url);
    }
    place(&mut e, g.location.as_ref());
    Some((e.done(), tz, start))
}

/// Text for a single-line property: control characters become spaces, so
/// nothing a listing says can start a line of its own.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Text for a multi-line property: line breaks stay (the crate escapes them
/// as `\n`); other control characters go.
fn multi_line(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

fn event_event(ev: &EventResponse) -> Option<(Event, chrono_tz::Tz, NaiveDateTime)> {
    let tz: chrono_tz::Tz = ev.timezone.parse().ok()?;
    let mut e = Event::new();
    e.uid(&format!("event-{}@circles", ev.id))
        .timestamp(ev.updated_at)
        .last_modified(ev.updated_at)
        .sequence(sequence(ev.version))
        .summary(&one_line(&ev.name))
        .starts(local(tz.name(), ev.starts_at))
        .ends(local(tz.name(), ev.ends_at))
        .status(match ev.status {
            EventStatus::Scheduled => IcalStatus::Confirmed,
            EventStatus::Cancelled => IcalStatus::Cancelled,
            EventStatus::Postponed => IcalStatus::Tentative,
        });
    if let Some(rule) = &ev.rrule {
        e.add_property("RRULE", rule);
    }
    if !ev.exdates.is_empty() {
        let list: Vec<String> = ev
            .exdates
            .iter()
            .map(|d| d.format(ICAL_LOCAL).to_string())
            .collect();
        e.append_property(
            icalendar::Property::new("EXDATE", list.join(","))
                .add_parameter("TZID", tz.name())
                .done(),
        );
    }
    if !ev.topics.is_empty() {
        e.add_property(
            "CATEGORIES",
            ev.topics
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    if let Some(d) = describe(
        ev.summary.as_deref(),
        ev.description.as_deref(),
        ev.online.as_ref(),
    ) {
        e.description(&d);
    }
    if let Some(url) = &ev.registration_url {
        e.url(url);
    }
    place(&mut e, ev.location.as_ref());
    Some((e.done(), tz, ev.starts_at))
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    if s % 60 == 0 {
        format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, (s % 3600) / 60, s % 60)
    }
}

/// A `VTIMEZONE` listing every transition of `tz` between two years, from
/// the tz database (one observance per transition).
pub fn vtimezone(tz: chrono_tz::Tz, from_year: i32, to_year: i32) -> String {
    let offset_at = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc());
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let start = Utc
        .with_ymd_and_hms(from_year, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let end = Utc
        .with_ymd_and_hms(to_year + 1, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let mut observances = 0;
    let mut day = start;
    let mut before = offset_at(day);
    while day < end {
        let next = day + Duration::days(1);
        let after = offset_at(next);
        let same = |a: &chrono_tz::TzOffset, b: &chrono_tz::TzOffset| {
            a.fix() == b.fix() && a.abbreviation() == b.abbreviation()
        };
        if !same(&after, &before) {
            // Transitions fall on whole minutes: find the first minute of the new offset.
            let (mut lo, mut hi) = (0i64, 24 * 60);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if same(&offset_at(day + Duration::minutes(mid)), &before) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = day + Duration::minutes(hi);
            let from = before.fix().local_minus_utc();
            let to = after.fix().local_minus_utc();
            let kind = if after.dst_offset().is_zero() {
                "STANDARD"
            } else {
                "DAYLIGHT"
            };
            let onset = hi.naive_utc() + Duration::seconds(from.into());
            let _ = write!(
                out,
                "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nTZNAME:{}\r\nEND:{kind}\r\n",
                onset.format(ICAL_LOCAL),
                offset_text(from),
                offset_text(to),
                after.abbreviation().unwrap_or(tz.name())
            );
            observances += 1;
        }
        before = after;
        day = next;
    }
    if observances == 0 {
        // A zone without changes in the range: one standard observance.
        let o = offset_at(start);
        let off = offset_text(o.fix().local_minus_utc());
        let _ = write!(
            out,
            "BEGIN:STANDARD\r\nDTSTART:{}0101T000000\r\nTZOFFSETFROM:{off}\r\nTZOFFSETTO:{off}\r\nTZNAME:{}\r\nEND:STANDARD\r\n",
            from_year,
            o.abbreviation().unwrap_or(tz.name())
        );
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

/// Render a calendar of groups and events.
pub fn render(name: &str, groups: &[GroupResponse], events: &[EventResponse]) -> String {
    // `Calendar::empty`: `new` would add a second PRODID, and `name` writes
    // an unescaped NAME line.
    let mut cal = Calendar::empty();
    let name = one_line(name);
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//Circles//Peer support directory//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", name.as_str()),
    ] {
        cal.append_property(icalendar::Property::new(key, value).done());
    }
    let mut zones: BTreeSet<String> = BTreeSet::new();
    let mut first_year = Utc::now().year();
    let items = groups
        .iter()
        .filter_map(group_event)
        .chain(events.iter().filter_map(event_event));
    for (event, tz, start) in items {
        zones.insert(tz.name().to_owned());
        first_year = first_year.min(start.year());
        cal.push(event);
    }
    let text = cal.to_string();
    let last_year = Utc::now().year() + 5;
    let timezones: String = zones
        .iter()
        .filter_map(|name| name.parse::<chrono_tz::Tz>().ok())
        .map(|tz| vtimezone(tz, first_year - 1, last_year))
        .collect();
    // Time zones come before the events that refer to them.
    match text.find("BEGIN:VEVENT") {
        Some(i) => format!("{}{}{}", &text[..i], timezones, &text[i..]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn london_transitions() {
        let v = vtimezone(chrono_tz::Europe::London, 2026, 2026);
        assert!(v.contains("BEGIN:DAYLIGHT\r\nDTSTART:20260329T010000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST"));
        assert!(v.contains("BEGIN:STANDARD\r\nDTSTART:20261025T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nTZNAME:GMT"));
        let tokyo = vtimezone(chrono_tz::Asia::Tokyo, 2026, 2027);
        assert!(tokyo.contains("TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900"));
        let kolkata = vtimezone(chrono_tz::Asia::Kolkata, 2026, 2026);
        assert!(kolkata.contains("+0530"));
    }
}
