//! Local times in a daylight-saving gap or overlap (RFC 5545 §3.3.5), an
//! overnight event across a change, and UNTIL on the time line.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::series::{local, upcoming, utc};
use crate::helpers::spawn_app;

#[tokio::test]
async fn gaps_and_overlaps_follow_rfc_5545() {
    let app = spawn_app().await;
    let org = app.org("Night owls").await;
    let ny = "America/New_York";
    let one_off = |start: &str, end: &str, tz: &str| json!({"starts_at": start, "ends_at": end, "timezone": tz});
    // 02:30 does not exist in New York on 2027-03-14: it is 03:30 EDT.
    let gap = app
        .published_event(
            &org.token,
            one_off("2027-03-14T02:30:00", "2027-03-14T04:00:00", ny),
        )
        .await;
    // 01:30 happens twice on 2027-11-07: the first one, EDT.
    let overlap = app
        .published_event(
            &org.token,
            one_off("2027-11-07T01:30:00", "2027-11-07T02:00:00", ny),
        )
        .await;
    // The same in London.
    let london_gap = app
        .published_event(
            &org.token,
            one_off(
                "2027-03-28T01:30:00",
                "2027-03-28T02:30:00",
                "Europe/London",
            ),
        )
        .await;
    let london_overlap = app
        .published_event(
            &org.token,
            one_off(
                "2027-10-31T01:30:00",
                "2027-10-31T02:30:00",
                "Europe/London",
            ),
        )
        .await;
    // Weekly series through the gap and through the overlap.
    let weekly_gap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-03-07T02:30:00", "ends_at": "2027-03-07T03:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;COUNT=3"}),
        )
        .await;
    let weekly_overlap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-10-31T01:30:00", "ends_at": "2027-10-31T02:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;COUNT=3"}),
        )
        .await;

    let occ = app
        .occurrences("2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z", "")
        .await;
    let find = |e: &Value| -> Vec<Value> {
        occ.iter()
            .filter(|o| o["event_id"] == e["id"])
            .cloned()
            .collect()
    };
    let one = |e: &Value| -> Value {
        let mine = find(e);
        assert_eq!(mine.len(), 1, "{mine:#?}");
        mine[0].clone()
    };

    let g = one(&gap);
    assert_eq!(
        utc(&g["starts_at"]),
        utc(&json!("2027-03-14T07:30:00Z")),
        "{g}"
    );
    assert_eq!(
        local(&g["local_starts_at"]).to_rfc3339(),
        "2027-03-14T03:30:00-04:00",
        "{g}"
    );
    if upcoming("2027-03-14T07:30:00Z") {
        assert_eq!(
            utc(&gap["next_occurrence"]["starts_at"]),
            utc(&json!("2027-03-14T07:30:00Z")),
            "{gap}"
        );
    }

    let o = one(&overlap);
    assert_eq!(
        utc(&o["starts_at"]),
        utc(&json!("2027-11-07T05:30:00Z")),
        "{o}"
    );
    assert_eq!(
        local(&o["local_starts_at"]).to_rfc3339(),
        "2027-11-07T01:30:00-04:00",
        "{o}"
    );
    if upcoming("2027-11-07T05:30:00Z") {
        assert_eq!(
            utc(&overlap["next_occurrence"]["starts_at"]),
            utc(&json!("2027-11-07T05:30:00Z")),
            "{overlap}"
        );
    }

    let lg = one(&london_gap);
    assert_eq!(
        utc(&lg["starts_at"]),
        utc(&json!("2027-03-28T01:30:00Z")),
        "{lg}"
    );
    assert_eq!(
        local(&lg["local_starts_at"]).to_rfc3339(),
        "2027-03-28T02:30:00+01:00"
    );
    let lo = one(&london_overlap);
    assert_eq!(
        utc(&lo["starts_at"]),
        utc(&json!("2027-10-31T00:30:00Z")),
        "{lo}"
    );
    assert_eq!(
        local(&lo["local_starts_at"]).to_rfc3339(),
        "2027-10-31T01:30:00+01:00"
    );

    let wg: Vec<DateTime<Utc>> = find(&weekly_gap)
        .iter()
        .map(|o| utc(&o["starts_at"]))
        .collect();
    assert_eq!(
        wg,
        [
            "2027-03-07T07:30:00Z",
            "2027-03-14T07:30:00Z",
            "2027-03-21T06:30:00Z"
        ]
        .iter()
        .map(|s| utc(&json!(s)))
        .collect::<Vec<_>>(),
        "weekly 02:30 through the gap"
    );
    let wo: Vec<DateTime<Utc>> = find(&weekly_overlap)
        .iter()
        .map(|o| utc(&o["starts_at"]))
        .collect();
    assert_eq!(
        wo,
        [
            "2027-10-31T05:30:00Z",
            "2027-11-07T05:30:00Z",
            "2027-11-14T06:30:00Z"
        ]
        .iter()
        .map(|s| utc(&json!(s)))
        .collect::<Vec<_>>(),
        "weekly 01:30 through the overlap"
    );
}

/// The first occurrence ends when its written local end says, even when a
/// daylight-saving change falls inside it (RFC 5545 §3.8.2.2: DTEND in its
/// zone); a night across the spring change is an hour shorter, one across
/// the autumn change an hour longer.
#[tokio::test]
async fn an_overnight_event_across_a_change_ends_at_its_written_local_time() {
    let app = spawn_app().await;
    let org = app.org("Vigils").await;
    let cases = [
        // 22:00 EST (03:00Z) to 06:00 EDT (10:00Z): seven hours.
        (
            "America/New_York",
            "2027-03-13T22:00:00",
            "2027-03-14T06:00:00",
            "2027-03-14T03:00:00Z",
            "2027-03-14T10:00:00Z",
        ),
        // 22:00 BST (21:00Z) to 06:00 GMT (06:00Z): nine hours.
        (
            "Europe/London",
            "2027-10-30T22:00:00",
            "2027-10-31T06:00:00",
            "2027-10-30T21:00:00Z",
            "2027-10-31T06:00:00Z",
        ),
    ];
    let mut problems = Vec::new();
    for (tz, start, end, start_utc, end_utc) in cases {
        let e = app
            .published_event(
                &org.token,
                json!({"starts_at": start, "ends_at": end, "timezone": tz}),
            )
            .await;
        let occ = app
            .occurrences("2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z", "")
            .await;
        let o = occ
            .iter()
            .find(|o| o["event_id"] == e["id"])
            .expect("the occurrence");
        if utc(&o["starts_at"]) != utc(&json!(start_utc)) {
            problems.push(format!("{tz}: starts {} not {start_utc}", o["starts_at"]));
        }
        let local_end = local(&o["local_ends_at"]).naive_local();
        if utc(&o["ends_at"]) != utc(&json!(end_utc))
            || local_end.format("%Y-%m-%dT%H:%M:%S").to_string() != end
        {
            problems.push(format!(
                "{tz}: written to end at {end} local ({end_utc}); the occurrence ends at {} ({})",
                o["local_ends_at"], o["ends_at"]
            ));
        }
        if upcoming(start_utc) && utc(&e["next_occurrence"]["ends_at"]) != utc(&json!(end_utc)) {
            problems.push(format!(
                "{tz}: next_occurrence ends at {}, not {end_utc}",
                e["next_occurrence"]["ends_at"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// UNTIL is a UTC instant (RFC 5545 §3.3.10): an occurrence is in the set
/// when its start on the time line is not after UNTIL, also when the local
/// time falls in a gap or an overlap.
#[tokio::test]
async fn until_is_compared_on_the_time_line_around_changes() {
    let app = spawn_app().await;
    let org = app.org("Edges").await;
    let ny = "America/New_York";
    // 02:30 on 2027-03-14 is 07:30Z: after an UNTIL of 07:00Z.
    let gap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-03-07T02:30:00", "ends_at": "2027-03-07T03:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;UNTIL=20270314T070000Z"}),
        )
        .await;
    // 01:30 on 2027-11-07 is the first one, 05:30Z: before an UNTIL of
    // 06:00Z (01:00 EST, after the clocks went back).
    let overlap = app
        .published_event(
            &org.token,
            json!({"starts_at": "2027-10-31T01:30:00", "ends_at": "2027-10-31T02:00:00",
                   "timezone": ny, "rrule": "FREQ=WEEKLY;UNTIL=20271107T060000Z"}),
        )
        .await;
    let occ = app
        .occurrences("2027-03-01T00:00:00Z", "2027-12-01T00:00:00Z", "")
        .await;
    let starts = |e: &Value| -> Vec<String> {
        occ.iter()
            .filter(|o| o["event_id"] == e["id"])
            .map(|o| utc(&o["starts_at"]).to_rfc3339())
            .collect()
    };
    let mut problems = Vec::new();
    let gap_starts = starts(&gap);
    if gap_starts != ["2027-03-07T07:30:00+00:00"] {
        problems.push(format!(
            "UNTIL 07:00Z through the gap: expected only 2027-03-07T07:30Z, got {gap_starts:?}"
        ));
    }
    let overlap_starts = starts(&overlap);
    if overlap_starts != ["2027-10-31T05:30:00+00:00", "2027-11-07T05:30:00+00:00"] {
        problems.push(format!(
            "UNTIL 06:00Z through the overlap: expected 2027-10-31T05:30Z and 2027-11-07T05:30Z, got {overlap_starts:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
