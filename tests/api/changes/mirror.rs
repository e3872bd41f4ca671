//! A mirror following the feed through a long random sequence of writes of
//! every kind reproduces the directory.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::helpers::{assert_same_directory, merge, spawn_app, Org, Rng, TestApp};

use super::support::{cursor_seq, id_of, random_body, Kind, STATUSES};

/// A listing the random sequence knows about.
#[derive(Clone, Debug)]
struct Known {
    kind: Kind,
    org: usize,
    id: String,
    /// The external id it is synced by, if any.
    ext: Option<String>,
    /// The last full write body sent.
    body: Value,
}

/// A random merge patch: a rename, a (un)publish, or both.
fn random_patch(rng: &mut Rng, k: &Known, n: usize) -> Value {
    let mut p = json!({});
    let choice = rng.below(4);
    if choice != 1 {
        p["name"] = json!(format!("Renamed {n}"));
    }
    if choice != 0 {
        p[k.kind.status_field()] = json!(*rng.pick(&STATUSES));
    }
    if choice == 3 {
        p["summary"] = json!(format!("Summary {n}"));
    }
    p
}

struct World<'a> {
    app: &'a TestApp,
    orgs: Vec<Org>,
    anchors: Vec<String>,
    known: Vec<Known>,
    rng: Rng,
    n: usize,
    ops: HashMap<&'static str, usize>,
}

impl World<'_> {
    fn count(&mut self, op: &'static str) {
        *self.ops.entry(op).or_default() += 1;
    }

    fn next_n(&mut self) -> usize {
        self.n += 1;
        self.n
    }

    /// Index of a random known listing (not an anchor), if any.
    fn pick_known(&mut self) -> Option<usize> {
        (!self.known.is_empty()).then(|| self.rng.below(self.known.len()))
    }

    fn remember(&mut self, kind: Kind, org: usize, id: String, ext: Option<String>, body: Value) {
        if let Some(k) = self.known.iter_mut().find(|k| k.id == id && k.kind == kind) {
            k.body = body;
            return;
        }
        self.known.push(Known {
            kind,
            org,
            id,
            ext,
            body,
        });
    }

    fn forget_id(&mut self, id: &str) {
        self.known.retain(|k| k.id != id);
    }

    fn forget_ext(&mut self, kind: Kind, org: usize, ext: &str) {
        self.known
            .retain(|k| !(k.kind == kind && k.org == org && k.ext.as_deref() == Some(ext)));
    }

    /// One random operation.
    async fn step(&mut self) {
        let app = self.app;
        let roll = self.rng.below(100);
        let kind = *self.rng.pick(&Kind::ALL);
        let org = self.rng.below(self.orgs.len());
        let token = self.orgs[org].token.clone();
        let n = self.next_n();
        let anchor = self.anchors[org].clone();
        match roll {
            // Create with POST.
            0..=19 => {
                let mut body = random_body(&mut self.rng, kind, n, &anchor);
                if self.rng.percent(30) {
                    body["external_id"] = json!(format!("post-{n}"));
                }
                let r = app
                    .post(&format!("/v1/{}", kind.plural()), &token, &body)
                    .await;
                let created = r.expect(201);
                let ext = body["external_id"].as_str().map(str::to_owned);
                self.remember(kind, org, id_of(&created), ext, body);
                self.count("create");
            }
            // Upsert by external id (a small pool, so creates and replaces).
            20..=34 => {
                let ext = format!("sync-{}", self.rng.below(12));
                let body = random_body(&mut self.rng, kind, n, &anchor);
                let path = format!("/v1/{}/by-external-id/{ext}", kind.plural());
                let r = app.put(&path, &token, &body).await;
                let status = r.status.as_u16();
                assert!(status == 200 || status == 201, "{path}: {}", r.text);
                let v = r.json();
                let mut body = body;
                body["external_id"] = json!(ext);
                self.remember(kind, org, id_of(&v), Some(ext), body);
                self.count(if status == 201 {
                    "upsert created"
                } else {
                    "upsert replaced"
                });
            }
            // Bulk sync: a few upserts and deletes from the pool, sometimes
            // atomic, sometimes with a bad item.
            35..=46 => {
                let atomic = self.rng.percent(40);
                let bad = self.rng.percent(25);
                let mut upserts = Vec::new();
                let mut exts = Vec::new();
                for _ in 0..1 + self.rng.below(4) {
                    let ext = format!("sync-{}", self.rng.below(12));
                    if exts.contains(&ext) {
                        continue;
                    }
                    let mut body = random_body(&mut self.rng, kind, self.n, &anchor);
                    body["external_id"] = json!(ext);
                    exts.push(ext);
                    upserts.push(body);
                }
                if bad {
                    let mut body = random_body(&mut self.rng, kind, self.n, &anchor);
                    body["external_id"] = json!("sync-bad");
                    body["topics"] = json!(["not-a-topic"]);
                    upserts.push(body);
                }
                let mut deletes = Vec::new();
                for _ in 0..self.rng.below(3) {
                    let ext = format!("sync-{}", self.rng.below(12));
                    if !exts.contains(&ext) && !deletes.contains(&ext) {
                        deletes.push(ext);
                    }
                }
                let path = format!(
                    "/v1/sync/{}{}",
                    kind.plural(),
                    if atomic { "?atomic=true" } else { "" }
                );
                let batch = json!({"upsert": upserts, "delete": deletes});
                let r = app.post(&path, &token, &batch).await;
                let answer = if atomic && bad {
                    let a = r.expect(422);
                    assert_eq!(a["applied"], false, "{a}");
                    self.count("bulk rolled back");
                    return;
                } else {
                    r.expect(200)
                };
                assert_eq!(answer["applied"], true, "{answer}");
                for res in answer["results"].as_array().unwrap() {
                    let ext = res["external_id"].as_str().unwrap_or("").to_owned();
                    match res["outcome"].as_str().unwrap() {
                        "created" | "updated" | "unchanged" => {
                            let i = res["index"].as_u64().unwrap() as usize;
                            self.remember(kind, org, id_of(res), Some(ext), upserts[i].clone());
                        }
                        "deleted" => self.forget_ext(kind, org, &ext),
                        "not_found" => {}
                        // A failed item keeps the external_id it was sent with.
                        "failed" => assert!(bad && ext == "sync-bad", "{res}"),
                        other => panic!("outcome {other}: {answer}"),
                    }
                }
                self.count(if atomic { "bulk atomic" } else { "bulk" });
            }
            // Merge patch: rename, publish, unpublish (draft or archived).
            47..=69 => {
                let Some(i) = self.pick_known() else { return };
                let k = self.known[i].clone();
                let patch = random_patch(&mut self.rng, &k, n);
                let token = &self.orgs[k.org].token;
                let r = app
                    .patch(&format!("/v1/{}/{}", k.kind.plural(), k.id), token, &patch)
                    .await;
                r.expect(200);
                let mut body = k.body.clone();
                merge(&mut body, &patch);
                self.known[i].body = body;
                self.count(
                    match patch.get(k.kind.status_field()).and_then(Value::as_str) {
                        Some("published") => "publish",
                        Some(_) => "unpublish",
                        None => "patch",
                    },
                );
            }
            // Replace with PUT by id.
            70..=79 => {
                let Some(i) = self.pick_known() else { return };
                let k = self.known[i].clone();
                let mut body = random_body(&mut self.rng, k.kind, n, &self.anchors[k.org]);
                if let Some(ext) = &k.ext {
                    body["external_id"] = json!(ext);
                }
                let token = &self.orgs[k.org].token;
                let r = app
                    .put(&format!("/v1/{}/{}", k.kind.plural(), k.id), token, &body)
                    .await;
                r.expect(200);
                self.known[i].body = body;
                self.count("replace");
            }
            // Delete by id.
            80..=92 => {
                let Some(i) = self.pick_known() else { return };
                let k = self.known[i].clone();
                let token = &self.orgs[k.org].token;
                let r = app
                    .delete(&format!("/v1/{}/{}", k.kind.plural(), k.id), token)
                    .await;
                assert_eq!(r.status.as_u16(), 204, "{}", r.text);
                self.forget_id(&k.id);
                self.count("delete");
            }
            // A write refused (another organization's listing): no change.
            93..=96 => {
                let Some(i) = self.pick_known() else { return };
                let k = self.known[i].clone();
                let intruder = &self.orgs[(k.org + 1) % self.orgs.len()].token;
                let r = app
                    .patch(
                        &format!("/v1/{}/{}", k.kind.plural(), k.id),
                        intruder,
                        &json!({"name": "Hijacked"}),
                    )
                    .await;
                assert_eq!(r.status.as_u16(), 404, "{}", r.text);
                self.count("refused");
            }
            // Rename an organization: every listing embeds its name.
            _ => {
                self.rename(org, n).await;
            }
        }
    }

    async fn rename(&mut self, org: usize, n: usize) {
        let o = &self.orgs[org];
        let r = self
            .app
            .patch(
                &format!("/v1/organizations/{}", o.id),
                &o.token,
                &json!({"name": format!("Partner {org} renamed {n}")}),
            )
            .await;
        r.expect(200);
        self.count("org rename");
    }
}

#[tokio::test]
async fn a_mirror_following_the_feed_reproduces_the_directory() {
    let app = spawn_app().await;
    let mut orgs = Vec::new();
    let mut anchors = Vec::new();
    for i in 0..3 {
        let org = app.org(&format!("Partner {i}")).await;
        let anchor = app
            .published_group(
                &org.token,
                json!({"name": format!("Anchor {i}"),
                       "schedule": {"starts_at": "2030-01-03T19:00:00"}}),
            )
            .await;
        orgs.push(org);
        anchors.push(anchor);
    }
    let mut world = World {
        app: &app,
        orgs,
        anchors,
        known: Vec::new(),
        rng: Rng::new(0x5EED_C12C_01E5),
        n: 0,
        ops: HashMap::new(),
    };
    let mut mirror = app.mirror();
    mirror.limit = 13;
    // A second mirror follows only groups and resources.
    let mut partial = app.mirror();
    partial.limit = 7;
    partial.types = Some("group,resource".into());
    let mut last_seq = 0;

    const OPS: usize = 540;
    for i in 0..OPS {
        world.step().await;
        if i % 5 == 0 {
            let (entries, _) = mirror.poll().await;
            for e in &entries {
                let seq = cursor_seq(e["cursor"].as_str().unwrap());
                assert!(
                    seq > last_seq,
                    "the feed goes forward: {seq} after {last_seq}"
                );
                last_seq = seq;
            }
        }
        if i % 11 == 0 {
            partial.poll().await;
        }
        if i == OPS / 2 {
            // Halfway: an organization is renamed and the mirror catches up.
            world.rename(1, 0).await;
            mirror.drain().await;
            assert_same_directory("halfway", &mirror.listings, &app.directory().await);
        }
    }
    // The last write renames an organization: it must reach the mirror.
    world.rename(2, OPS).await;
    mirror.drain().await;
    partial.drain().await;
    let directory = app.directory().await;
    assert_same_directory("after the sequence", &mirror.listings, &directory);
    let subset: crate::helpers::Directory = directory
        .iter()
        .filter(|((t, _), _)| t != "event")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_same_directory("type=group,resource", &partial.listings, &subset);

    let renamed = format!("Partner 2 renamed {OPS}");
    let of_org2: Vec<&Value> = mirror
        .listings
        .values()
        .filter(|v| v["organization"]["id"] == world.orgs[2].id.as_str())
        .collect();
    assert!(!of_org2.is_empty(), "organization 2 has public listings");
    for v in of_org2 {
        assert_eq!(v["organization"]["name"], renamed.as_str(), "{v}");
    }

    // The sequence covered every kind of operation, and the directory is
    // neither empty nor everything.
    let ops = &world.ops;
    for op in [
        "create",
        "upsert created",
        "upsert replaced",
        "bulk",
        "bulk atomic",
        "bulk rolled back",
        "publish",
        "unpublish",
        "patch",
        "replace",
        "delete",
        "refused",
        "org rename",
    ] {
        assert!(
            ops.get(op).copied().unwrap_or(0) >= 2,
            "too few `{op}`: {ops:?}"
        );
    }
    let total: usize = ops.values().sum();
    assert!(total >= 500, "{total} operations: {ops:?}");
    for t in ["group", "event", "resource"] {
        let n = directory.keys().filter(|(k, _)| k == t).count();
        assert!(n >= 5, "only {n} public {t}s at the end");
    }
    assert!(
        directory.len() < world.known.len() + 3,
        "some listings are not public"
    );

    // A fresh mirror, from the start in big pages, agrees too.
    let mut fresh = app.mirror();
    fresh.drain().await;
    assert_same_directory("from scratch", &fresh.listings, &directory);
}
