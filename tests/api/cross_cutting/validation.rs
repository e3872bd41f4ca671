//! Every kind of bad input gets a problem document that names what is wrong.

use circles::vocab::{self, Vocabulary};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    first_error, group_body, in_person_body, names_field, resource_body, spawn_app, Reply, TestApp,
};

fn allowed<V: Vocabulary>() -> Vec<String> {
    V::allowed().iter().map(|s| s.to_string()).collect()
}

/// Check a 422 naming `field`, with `allowed` when given; returns a
/// description of what is wrong, if anything.
fn check_422(reply: &Reply, field: &str, expected: Option<&[String]>) -> Option<String> {
    if reply.status.as_u16() != 422 {
        return Some(format!(
            "{field}: status {} instead of 422: {}",
            reply.status, reply.text
        ));
    }
    let p = reply.problem(422, "validation_failed");
    let (got, got_allowed) = first_error(&p);
    if got != field {
        return Some(format!("{field}: errors[0].field is `{got}`: {p}"));
    }
    if let Some(expected) = expected {
        match got_allowed {
            None => return Some(format!("{field}: no `allowed` values: {p}")),
            Some(a) if a != expected => {
                return Some(format!("{field}: allowed is {a:?}, expected {expected:?}"))
            }
            _ => {}
        }
    }
    None
}

fn fail_all(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// (body overrides, field, accepted values) for a bad value of every closed
/// vocabulary of a group.
fn bad_enum_cases() -> Vec<(Value, &'static str, Vec<String>)> {
    vec![
        (
            json!({"topics": ["sadness"]}),
            "topics[0]",
            allowed::<vocab::Topic>(),
        ),
        (
            json!({"topics": ["grief", "sadness"]}),
            "topics[1]",
            allowed::<vocab::Topic>(),
        ),
        (
            json!({"format": "zoom"}),
            "format",
            allowed::<vocab::Format>(),
        ),
        (
            json!({"enrollment": "sometimes"}),
            "enrollment",
            allowed::<vocab::Enrollment>(),
        ),
        (
            json!({"facilitation": "robot"}),
            "facilitation",
            allowed::<vocab::Facilitation>(),
        ),
        (
            json!({"recovery_stages": ["denial"]}),
            "recovery_stages[0]",
            allowed::<vocab::RecoveryStage>(),
        ),
        (
            json!({"support_types": ["financial"]}),
            "support_types[0]",
            allowed::<vocab::SupportType>(),
        ),
        (
            json!({"cost": {"kind": "expensive"}}),
            "cost.kind",
            allowed::<vocab::CostKind>(),
        ),
        (
            json!({"format": "hybrid", "location": {"visibility": "secret", "locality": "Leeds", "country": "GB"}}),
            "location.visibility",
            allowed::<vocab::Visibility>(),
        ),
        (
            json!({"online": {"join_url_visibility": "secret"}}),
            "online.join_url_visibility",
            allowed::<vocab::Visibility>(),
        ),
        (
            json!({"status": "deleted"}),
            "status",
            allowed::<vocab::ListingStatus>(),
        ),
    ]
}

#[tokio::test]
async fn bad_enum_values_name_the_field_and_list_allowed_values_on_create() {
    let app = spawn_app().await;
    let org = app.org("Validators").await;
    let mut problems = Vec::new();
    for (overrides, field, expected) in bad_enum_cases() {
        let reply = app
            .post("/v1/groups", &org.token, &group_body(overrides))
            .await;
        problems.extend(check_422(&reply, field, Some(&expected)));
    }
    fail_all(problems);
}

#[tokio::test]
async fn bad_enum_values_name_the_field_and_list_allowed_values_on_replace_and_patch() {
    let app = spawn_app().await;
    let org = app.org("Validators").await;
    let g = app.create_group(&org.token, &group_body(json!({}))).await;
    let path = format!("/v1/groups/{}", g["id"].as_str().unwrap());
    let mut problems = Vec::new();
    for (overrides, field, expected) in bad_enum_cases() {
        let reply = app
            .put(&path, &org.token, &group_body(overrides.clone()))
            .await;
        problems.extend(check_422(&reply, field, Some(&expected)).map(|p| format!("PUT {p}")));
        let reply = app.patch(&path, &org.token, &overrides).await;
        problems.extend(check_422(&reply, field, Some(&expected)).map(|p| format!("PATCH {p}")));
    }
    // Nothing changed.
    let now = app.get_auth(&path, &org.token).await.expect(200);
    assert_eq!(now["version"], 1, "{now}");
    fail_all(problems);
}

#[tokio::test]
async fn bad_organization_kind_names_the_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Kinds").await;
    let expected = allowed::<vocab::OrganizationKind>();
    let mut problems = Vec::new();
    let reply = app
        .post(
            "/v1/organizations",
            &admin.token,
            &json!({"name": "Church of Ash", "kind": "church"}),
        )
        .await;
    problems.extend(check_422(&reply, "kind", Some(&expected)).map(|p| format!("POST {p}")));
    let reply = app
        .patch(
            &format!("/v1/organizations/{}", org.id),
            &org.token,
            &json!({"kind": "church"}),
        )
        .await;
    problems.extend(check_422(&reply, "kind", Some(&expected)).map(|p| format!("PATCH {p}")));
    fail_all(problems);
}

#[tokio::test]
async fn schedules_need_a_valid_rrule_and_iana_time_zone() {
    let app = spawn_app().await;
    let org = app.org("Schedules").await;
    let schedule = |rrule: &str, tz: &str| {
        group_body(
            json!({"schedule": {"rrule": rrule, "starts_at": "2026-01-08T19:00:00",
            "timezone": tz, "duration_minutes": 60}}),
        )
    };
    let mut problems = Vec::new();
    for rrule in [
        "FREQ=SOMETIMES",
        "every tuesday",
        "RRULE:FREQ=WEEKLY;BYDAY=TU",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY\nFREQ=DAILY",
    ] {
        let reply = app
            .post("/v1/groups", &org.token, &schedule(rrule, "Europe/London"))
            .await;
        problems
            .extend(check_422(&reply, "schedule.rrule", None).map(|p| format!("{rrule:?}: {p}")));
    }
    for tz in ["+01:00", "Mars/Olympus", "UTC+1", ""] {
        let reply = app
            .post(
                "/v1/groups",
                &org.token,
                &schedule("FREQ=WEEKLY;BYDAY=TU", tz),
            )
            .await;
        problems
            .extend(check_422(&reply, "schedule.timezone", None).map(|p| format!("{tz:?}: {p}")));
    }
    let reply = app
        .post(
            "/v1/groups",
            &org.token,
            &group_body(json!({"schedule": {"starts_at": "2026-01-08T19:00:00+01:00"}})),
        )
        .await;
    problems.extend(check_422(&reply, "schedule.starts_at", None));
    let reply = app
        .post(
            "/v1/groups",
            &org.token,
            &group_body(json!({"schedule": {"duration_minutes": 0}})),
        )
        .await;
    problems.extend(check_422(&reply, "schedule.duration_minutes", None));
    // Valid ones are accepted.
    for (rrule, tz) in [
        ("FREQ=MONTHLY;BYDAY=1SA", "America/New_York"),
        ("FREQ=DAILY;COUNT=10", "Asia/Kolkata"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", "UTC"),
    ] {
        let reply = app
            .post("/v1/groups", &org.token, &schedule(rrule, tz))
            .await;
        if reply.status.as_u16() != 201 {
            problems.push(format!(
                "valid {rrule} {tz}: {} {}",
                reply.status, reply.text
            ));
        }
    }
    fail_all(problems);
}

#[tokio::test]
async fn other_field_rules_name_the_field() {
    let app = spawn_app().await;
    let org = app.org("Fields").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"colour": "blue"}), "colour"),
        (json!({"online": {"colour": "blue"}}), "online.colour"),
        (json!({"name": null}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"topics": []}), "topics"),
        (json!({"capacity": "ten"}), "capacity"),
        (json!({"capacity": 0}), "capacity"),
        (json!({"languages": ["english language"]}), "languages[0]"),
        (json!({"format": "in_person", "online": null}), "location"),
        (json!({"format": "hybrid"}), "location"),
        (json!({"online": null}), "online"),
        (
            json!({"online": {"join_url": "javascript:alert(1)"}}),
            "online.join_url",
        ),
        (json!({"cost": {"kind": "paid"}}), "cost.amount"),
        (
            json!({"cost": {"kind": "paid", "amount": "5"}}),
            "cost.currency",
        ),
        (
            json!({"cost": {"kind": "free", "amount": "5", "currency": "GBP"}}),
            "cost.amount",
        ),
        (json!({"enrollment": "cohort"}), "cohort"),
        (json!({"contact": {"email": "nope"}}), "contact.email"),
    ];
    let mut problems = Vec::new();
    for (overrides, field) in cases {
        let reply = app
            .post("/v1/groups", &org.token, &group_body(overrides.clone()))
            .await;
        problems.extend(check_422(&reply, field, None).map(|p| format!("{overrides}: {p}")));
    }
    let located = |loc: Value| in_person_body(json!({"location": loc}));
    for (loc, field) in [
        (json!({"latitude": 91.0}), "location.latitude"),
        (json!({"longitude": -181.0}), "location.longitude"),
        (json!({"country": "gb"}), "location.country"),
        (json!({"locality": null}), "location.locality"),
    ] {
        let reply = app
            .post("/v1/groups", &org.token, &located(loc.clone()))
            .await;
        problems.extend(check_422(&reply, field, None).map(|p| format!("{loc}: {p}")));
    }
    // Several bad fields are all listed.
    let reply = app
        .post(
            "/v1/groups",
            &org.token,
            &group_body(json!({"name": "", "topics": [], "capacity": -1})),
        )
        .await;
    let p = reply.problem(422, "validation_failed");
    for f in ["name", "topics", "capacity"] {
        if !names_field(&p, f) {
            problems.push(format!("several bad fields: `{f}` not listed: {p}"));
        }
    }
    fail_all(problems);
    // Nothing was created.
    assert!(app.list_ids("").await.is_empty());
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    ct: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    Reply::from(req.body(body).send().await.expect("sent")).await
}

#[tokio::test]
async fn malformed_oversized_and_mistyped_bodies() {
    let app = spawn_app().await;
    let org = app.org("Bodies").await;
    let g = app.create_group(&org.token, &group_body(json!({}))).await;
    let path = format!("/v1/groups/{}", g["id"].as_str().unwrap());

    for (method, p, ct) in [
        (Method::POST, "/v1/groups", "application/json"),
        (Method::PUT, path.as_str(), "application/json"),
        (Method::PATCH, path.as_str(), "application/merge-patch+json"),
    ] {
        for bad in [&b"{\"name\": "[..], b"not json", b"{\"name\": \"x\",}", b""] {
            raw(&app, method.clone(), p, &org.token, Some(ct), bad.to_vec())
                .await
                .problem(400, "malformed_json");
        }
        // Over 256 KiB.
        let mut big = group_body(json!({}));
        big["description"] = json!("x".repeat(300 * 1024));
        raw(
            &app,
            method.clone(),
            p,
            &org.token,
            Some(ct),
            big.to_string().into_bytes(),
        )
        .await
        .problem(413, "payload_too_large");
        // Not JSON.
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            raw(
                &app,
                method.clone(),
                p,
                &org.token,
                ct,
                group_body(json!({})).to_string().into_bytes(),
            )
            .await
            .problem(415, "unsupported_media_type");
        }
    }
    // A merge patch must be an object.
    let reply = raw(
        &app,
        Method::PATCH,
        &path,
        &org.token,
        Some("application/merge-patch+json"),
        b"[1]".to_vec(),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.text);
    // The group is untouched.
    assert_eq!(
        app.get_auth(&path, &org.token).await.expect(200)["version"],
        1
    );
}

#[tokio::test]
async fn bad_query_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let mut problems = Vec::new();
    let cases = [
        ("/v1/groups?topic=nope", "topic"),
        ("/v1/groups?topic=grief,nope", "topic"),
        ("/v1/groups?format=zoom", "format"),
        ("/v1/groups?enrollment=x", "enrollment"),
        ("/v1/groups?facilitation=x", "facilitation"),
        ("/v1/groups?stage=x", "stage"),
        ("/v1/groups?support_type=x", "support_type"),
        ("/v1/groups?cost=x", "cost"),
        ("/v1/groups?limit=0", "limit"),
        ("/v1/groups?limit=101", "limit"),
        ("/v1/groups?limit=-1", "limit"),
        ("/v1/groups?limit=abc", "limit"),
        (
            "/v1/groups?accepting_new_members=maybe",
            "accepting_new_members",
        ),
        ("/v1/groups?updated_since=yesterday", "updated_since"),
        ("/v1/groups?colour=red", "colour"),
        ("/v1/groups?topic=grief&topic=trauma", "topic"),
        ("/v1/groups?limit=", "limit"),
        ("/v1/organizations?limit=0", "limit"),
        ("/v1/organizations?limit=abc", "limit"),
        ("/v1/organizations?topic=grief", "topic"),
    ];
    for (path, param) in cases {
        let reply = app.get(path).await;
        if reply.status.as_u16() != 400 {
            problems.push(format!("{path}: {} {}", reply.status, reply.text));
            continue;
        }
        let p = reply.problem(400, "invalid_query");
        match first_error(&p) {
            (f, _) if f == param => {}
            (f, _) => problems.push(format!("{path}: names `{f}`, not `{param}`: {p}")),
        }
    }
    // The topic error lists the topics.
    let p = app
        .get("/v1/groups?topic=nope")
        .await
        .problem(400, "invalid_query");
    assert_eq!(first_error(&p).1, Some(allowed::<vocab::Topic>()));
    // A cursor this service did not issue.
    for path in [
        "/v1/groups?cursor=garbage",
        "/v1/groups?cursor=eyJ4IjoxfQ",
        "/v1/organizations?cursor=garbage",
    ] {
        let reply = app.get(path).await;
        if reply.status.as_u16() != 400 {
            problems.push(format!("{path}: {} {}", reply.status, reply.text));
            continue;
        }
        let p = reply.json();
        let named =
            names_field(&p, "cursor") || p["detail"].as_str().is_some_and(|d| d.contains("cursor"));
        if !named {
            problems.push(format!("{path}: the problem does not name `cursor`: {p}"));
        }
        assert!(
            reply
                .header("content-type")
                .unwrap_or_default()
                .starts_with("application/problem+json"),
            "{path}"
        );
    }
    fail_all(problems);
}

#[tokio::test]
async fn bad_paths_unknown_routes_and_wrong_methods() {
    let app = spawn_app().await;
    let org = app.org("Paths").await;

    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let body = group_body(json!({}));
        let body = (method == Method::PUT || method == Method::PATCH).then_some(&body);
        let token = (method != Method::GET).then_some(org.token.as_str());
        let reply = app
            .send(method.clone(), "/v1/groups/not-a-uuid", token, body)
            .await;
        let p = reply.problem(400, "invalid_path");
        assert_eq!(first_error(&p).0, "id", "{method}: {p}");
    }
    // Any spelling of a UUID names the same group.
    let g = app
        .create_group(&org.token, &group_body(json!({"status": "published"})))
        .await;
    let id = g["id"].as_str().unwrap();
    for spelling in [id.to_uppercase(), id.replace('-', "")] {
        let same = app.get(&format!("/v1/groups/{spelling}")).await.expect(200);
        assert_eq!(same["id"], id, "GET /v1/groups/{spelling}");
    }
    // A UUID that names no group.
    app.get(&format!("/v1/groups/{}", uuid::Uuid::new_v4()))
        .await
        .problem(404, "not_found");
    app.get("/v1/organizations/no-such-org")
        .await
        .problem(404, "not_found");

    for path in ["/v1/nope", "/nope", "/v2/groups", "/v1/groups/a/b", "/v1"] {
        app.get(path).await.problem(404, "not_found");
    }
    app.send(Method::POST, "/v1/nope", Some(&org.token), Some(&json!({})))
        .await
        .problem(404, "not_found");

    for (method, path, allow) in [
        (Method::DELETE, "/v1/groups", "GET, HEAD, POST"),
        (Method::PUT, "/v1/groups", "GET, HEAD, POST"),
        (
            Method::POST,
            "/v1/groups/0193a5b0-7c3a-7d2f-9e4b-5a6c7d8e9f01",
            "GET, HEAD, PUT, PATCH, DELETE",
        ),
        (Method::PUT, "/v1/organizations", "GET, HEAD, POST"),
        (Method::DELETE, "/v1/organizations/x", "GET, HEAD, PATCH"),
        (Method::GET, "/v1/clients/x", "DELETE"),
        (Method::GET, "/v1/auth/token", "POST"),
        (Method::POST, "/healthz", "GET, HEAD"),
        (Method::DELETE, "/readyz", "GET, HEAD"),
    ] {
        let reply = app.send(method.clone(), path, Some(&org.token), None).await;
        reply.problem(405, "method_not_allowed");
        let got = reply
            .header("allow")
            .unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
        let mut got: Vec<&str> = got.split(',').map(str::trim).collect();
        let mut want: Vec<&str> = allow.split(',').map(str::trim).collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{method} {path}: Allow");
    }
}

/// A JSON array where an object belongs is refused with the field named
/// (serde alone would read a struct from an array of its fields), on create,
/// merge patch and bulk sync alike; nothing is written.
#[tokio::test]
async fn arrays_are_refused_where_objects_belong() {
    let app = spawn_app().await;
    let org = app.org("Shape Checkers").await;
    let mut body = crate::helpers::group_body(json!({}));
    body["cost"] = json!(["free"]);
    let p = app
        .post("/v1/groups", &org.token, &body)
        .await
        .problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "cost", "{p}");
    let id = app
        .published_group(&org.token, json!({"name": "Shapely"}))
        .await;
    let p = app
        .patch(
            &format!("/v1/groups/{id}"),
            &org.token,
            &json!({"online": [null, null, null, null]}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "online", "{p}");
    let g = app.get(&format!("/v1/groups/{id}")).await.expect(200);
    assert_eq!(g["version"], 1, "nothing was written: {g}");
    let mut item = crate::helpers::group_body(json!({"external_id": "shape-1"}));
    item["location"] = json!(["Hall", null]);
    let r = app
        .post("/v1/sync/groups", &org.token, &json!({"upsert": [item]}))
        .await
        .expect(200);
    assert_eq!(r["results"][0]["outcome"], "failed", "{r}");
}

/// Countries, languages and phone numbers are checked against real data:
/// ISO 3166-1 (an assigned code), the IANA Language Subtag Registry (a real
/// language first) and libphonenumber (a valid number, national only where
/// the listing has a country to read it in). Made-up values are refused
/// naming the field, on a group, a resource and an organization alike.
#[tokio::test]
async fn made_up_countries_languages_and_phones_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let org = app.org("Real Data").await;
    let mut problems = Vec::new();

    let located = in_person_body;
    let group_cases: Vec<(Value, &str)> = vec![
        (
            located(json!({"location": {"country": "ZZ"}})),
            "location.country",
        ),
        (
            located(json!({"location": {"country": "XX"}})),
            "location.country",
        ),
        (
            located(json!({"location": {"country": "AA"}})),
            "location.country",
        ),
        (
            located(json!({"location": {"country": "UK"}})),
            "location.country",
        ),
        (group_body(json!({"languages": ["qq"]})), "languages[0]"),
        (
            group_body(json!({"languages": ["en", "qq"]})),
            "languages[1]",
        ),
        (group_body(json!({"languages": ["xx"]})), "languages[0]"),
        (
            group_body(json!({"languages": ["english"]})),
            "languages[0]",
        ),
        (
            group_body(json!({"languages": ["x-elvish"]})),
            "languages[0]",
        ),
        (
            group_body(json!({"contact": {"phone": "(((1))) 2-3"}})),
            "contact.phone",
        ),
        (
            located(json!({"contact": {"phone": "(((1))) 2-3"}})),
            "contact.phone",
        ),
        (
            located(json!({"contact": {"phone": "+44 20 7946 000"}})),
            "contact.phone",
        ),
        // A national number needs a country: an online group has none.
        (
            group_body(json!({"contact": {"phone": "020 7946 0000"}})),
            "contact.phone",
        ),
        // ... and is read in the group's own.
        (
            located(json!({"location": {"country": "US"}, "contact": {"phone": "020 7946 0000"}})),
            "contact.phone",
        ),
    ];
    for (body, field) in group_cases {
        let reply = app.post("/v1/groups", &org.token, &body).await;
        problems.extend(check_422(&reply, field, None).map(|p| format!("group: {p}")));
    }
    let g = app.create_group(&org.token, &group_body(json!({}))).await;
    let path = format!("/v1/groups/{}", g["id"].as_str().unwrap());
    let reply = app
        .patch(&path, &org.token, &json!({"languages": ["en", "qq"]}))
        .await;
    problems.extend(check_422(&reply, "languages[1]", None).map(|p| format!("PATCH {p}")));

    // Real values are accepted; phone numbers are kept as written.
    for (body, phone) in [
        (
            located(json!({"contact": {"phone": "020 7946 0000"},
                           "languages": ["pt-BR", "zh-Hant", "es-419", "EN-gb"]})),
            "020 7946 0000",
        ),
        (
            group_body(json!({"contact": {"phone": "+1 (202) 555-0123"}})),
            "+1 (202) 555-0123",
        ),
    ] {
        let reply = app.post("/v1/groups", &org.token, &body).await;
        if reply.status.as_u16() != 201 {
            problems.push(format!("valid group: {} {}", reply.status, reply.text));
        } else if reply.json()["contact"]["phone"] != phone {
            problems.push(format!("group phone not kept as written: {}", reply.text));
        }
    }

    let resource_cases: Vec<(Value, &str)> = vec![
        (json!({"country": "ZZ"}), "country"),
        (json!({"country": "XX"}), "country"),
        (json!({"languages": ["qq"]}), "languages[0]"),
        (json!({"languages": ["en", "english"]}), "languages[1]"),
        (json!({"phone": "(((1))) 2-3", "country": "GB"}), "phone"),
        (json!({"phone": "(((1))) 2-3"}), "phone"),
        // A short code is dialled within a country: it needs one.
        (json!({"phone": "116 123"}), "phone"),
        (json!({"phone": "116 123", "country": "ZZ"}), "phone"),
    ];
    for (overrides, field) in resource_cases {
        let reply = app
            .post(
                "/v1/resources",
                &org.token,
                &resource_body(overrides.clone()),
            )
            .await;
        problems
            .extend(check_422(&reply, field, None).map(|p| format!("resource {overrides}: {p}")));
    }
    for overrides in [
        json!({"kind": "hotline", "phone": "116 123", "country": "GB"}),
        json!({"kind": "hotline", "phone": "988", "country": "US"}),
        json!({"kind": "hotline", "phone": "0808 808 1677", "country": "GB"}),
        json!({"kind": "hotline", "phone": "+353 1 800 247 247"}),
    ] {
        let reply = app
            .post(
                "/v1/resources",
                &org.token,
                &resource_body(overrides.clone()),
            )
            .await;
        if reply.status.as_u16() != 201 {
            problems.push(format!(
                "valid resource {overrides}: {} {}",
                reply.status, reply.text
            ));
        } else if reply.json()["phone"] != overrides["phone"] {
            problems.push(format!(
                "resource phone not kept as written: {}",
                reply.text
            ));
        }
    }

    // An organization has no country: its number is international.
    let reply = app
        .post(
            "/v1/organizations",
            &admin.token,
            &json!({"name": "Made Up Numbers", "kind": "peer_led",
                    "contact": {"phone": "(((1))) 2-3"}}),
        )
        .await;
    problems.extend(check_422(&reply, "contact.phone", None).map(|p| format!("POST org: {p}")));
    let path = format!("/v1/organizations/{}", org.id);
    for phone in ["(((1))) 2-3", "020 7946 0000", "+44 20 7946"] {
        let reply = app
            .patch(&path, &org.token, &json!({"contact": {"phone": phone}}))
            .await;
        problems.extend(
            check_422(&reply, "contact.phone", None).map(|p| format!("PATCH org {phone}: {p}")),
        );
    }
    let reply = app
        .patch(
            &path,
            &org.token,
            &json!({"contact": {"phone": "+44 20 7946 0000"}}),
        )
        .await;
    if reply.status.as_u16() != 200 || reply.json()["contact"]["phone"] != "+44 20 7946 0000" {
        problems.push(format!("valid org phone: {} {}", reply.status, reply.text));
    }
    fail_all(problems);
}

/// A made-up country or language in a list filter is a 400 naming the
/// parameter, like any other bad filter; real ones match in any case.
#[tokio::test]
async fn made_up_countries_and_languages_in_filters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let mut problems = Vec::new();
    for (path, param) in [
        ("/v1/groups?language=qq", "language"),
        ("/v1/groups?language=en,english", "language"),
        ("/v1/groups?topic=grief&language=xx", "language"),
        ("/v1/resources?language=qq", "language"),
        ("/v1/resources?country=ZZ", "country"),
        ("/v1/resources?country=GB,xx", "country"),
        ("/v1/resources?country=UK", "country"),
    ] {
        let reply = app.get(path).await;
        if reply.status.as_u16() != 400 {
            problems.push(format!("{path}: {} {}", reply.status, reply.text));
            continue;
        }
        let p = reply.problem(400, "invalid_query");
        match first_error(&p) {
            (f, _) if f == param => {}
            (f, _) => problems.push(format!("{path}: names `{f}`, not `{param}`: {p}")),
        }
    }
    for path in [
        "/v1/groups?language=pt-br,EN,zh-hant",
        "/v1/groups?language=",
        "/v1/resources?country=gb,IE&language=es-419",
    ] {
        let reply = app.get(path).await;
        if reply.status.as_u16() != 200 {
            problems.push(format!("{path}: {} {}", reply.status, reply.text));
        }
    }
    fail_all(problems);
}
