//! Every feed (organization, group, events) parses and agrees with the JSON:
//! one VEVENT per published listing, stable UIDs, local DTSTART with TZID,
//! RRULE and EXDATE as written, SEQUENCE, STATUS, VTIMEZONEs; the parsed rules
//! expanded with the `rrule` crate give the same instants as the JSON
//! occurrences.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::ics::{
    check_event, check_group, check_zones, event_uid, events_by_uid, expand, feed, group_uid,
    id_of, public_event, uids, unescape, unfold, utc, value,
};
use crate::helpers::{event_body, group_body, spawn_app};

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
            // `groups::calendar::cohort_feeds_agree_with_cohort_occurrences`
            // checks the dates.
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
