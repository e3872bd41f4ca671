//! A reader polling while many writers write misses nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_same_directory, send_to, spawn_app, Reply, Rng};

use super::support::{cursor_seq, id_of, random_body, Kind, STATUSES};

/// Writers for the concurrency test: creates, merge patches, upserts by
/// external id, (un)publishing and deletes of one organization's groups and
/// resources.
async fn writer(base: String, client: reqwest::Client, token: String, w: usize, ops: usize) {
    let mut rng = Rng::new(1000 + w as u64);
    let mut mine: Vec<(Kind, String)> = Vec::new();
    for i in 0..ops {
        let send = |method: Method, path: String, body: Option<Value>| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            async move {
                send_to(
                    &client,
                    &base,
                    method,
                    &path,
                    Some(&token),
                    body.as_ref(),
                    &[],
                )
                .await
            }
        };
        let roll = rng.below(10);
        let kind = if rng.percent(70) {
            Kind::Group
        } else {
            Kind::Resource
        };
        let n = w * 1000 + i;
        let r: Reply = match roll {
            0..=3 => {
                let body = random_body(&mut rng, kind, n, "");
                let r = send(Method::POST, format!("/v1/{}", kind.plural()), Some(body)).await;
                if r.status.as_u16() == 201 {
                    mine.push((kind, id_of(&r.json())));
                }
                r
            }
            4 => {
                let body = random_body(&mut rng, kind, n, "");
                let path = format!("/v1/{}/by-external-id/w{w}-{}", kind.plural(), rng.below(4));
                let r = send(Method::PUT, path, Some(body)).await;
                if r.status.as_u16() == 201 {
                    mine.push((kind, id_of(&r.json())));
                }
                r
            }
            5 => {
                // A bulk sync: one long transaction whose first entries are
                // numbered well before its commit.
                let upserts: Vec<Value> = (0..10 + rng.below(20))
                    .map(|j| {
                        let mut b = random_body(&mut rng, kind, n * 100 + j, "");
                        b["external_id"] = json!(format!("bulk-{w}-{i}-{j}"));
                        b
                    })
                    .collect();
                let path = format!("/v1/sync/{}", kind.plural());
                let r = send(Method::POST, path, Some(json!({"upsert": upserts}))).await;
                if r.status.as_u16() == 200 {
                    for res in r.json()["results"].as_array().unwrap() {
                        assert_eq!(res["outcome"], "created", "{res}");
                        mine.push((kind, id_of(res)));
                    }
                }
                r
            }
            6..=8 if !mine.is_empty() => {
                let (kind, id) = mine[rng.below(mine.len())].clone();
                let patch = json!({
                    "name": format!("Writer {w} edit {i}"),
                    kind.status_field(): *rng.pick(&STATUSES),
                });
                send(
                    Method::PATCH,
                    format!("/v1/{}/{id}", kind.plural()),
                    Some(patch),
                )
                .await
            }
            9 if !mine.is_empty() => {
                let (kind, id) = mine.swap_remove(rng.below(mine.len()));
                send(Method::DELETE, format!("/v1/{}/{id}", kind.plural()), None).await
            }
            _ => continue,
        };
        let status = r.status.as_u16();
        // A PATCH may find a listing deleted through its external id by a
        // replace of the same writer; everything else succeeds.
        assert!(
            matches!(status, 200 | 201 | 204),
            "writer {w}, op {i}: {status} {}",
            r.text
        );
    }
}

/// Many writers at once while a reader polls with small pages: when the
/// writers are done and the reader has drained the feed, the reader has seen
/// every listing's final state. On PostgreSQL this is the trap of sequence
/// numbers taken at insert and committed out of order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_polling_during_concurrent_writes_misses_nothing() {
    let app = spawn_app().await;
    const WRITERS: usize = 8;
    const OPS: usize = 30;
    let mut tokens = Vec::new();
    for w in 0..WRITERS {
        tokens.push(app.org(&format!("Writer {w}")).await.token);
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let mut mirror = app.mirror();
        let done = done.clone();
        tokio::spawn(async move {
            let mut rng = Rng::new(7);
            let mut last = 0;
            let mut polls = 0;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                mirror.limit = 1 + rng.below(5) as u32;
                let (entries, more) = mirror.poll().await;
                polls += 1;
                for e in &entries {
                    let seq = cursor_seq(e["cursor"].as_str().unwrap());
                    assert!(seq > last, "the feed goes forward: {seq} after {last}");
                    last = seq;
                }
                if finished && !more && entries.is_empty() {
                    return (mirror, polls);
                }
                if entries.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for (w, token) in tokens.into_iter().enumerate() {
        writers.push(tokio::spawn(writer(
            app.address.clone(),
            app.client.clone(),
            token,
            w,
            OPS,
        )));
    }
    for w in writers {
        w.await.expect("a writer finishes");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut mirror, polls) = reader.await.expect("the reader finishes");
    assert!(
        polls > 20,
        "the reader polled during the writes ({polls} polls)"
    );
    // Drained already; one more look must bring nothing new.
    let rest = mirror.drain().await;
    assert!(
        rest.is_empty(),
        "entries after the reader finished: {rest:?}"
    );
    let directory = app.directory().await;
    assert!(directory.len() > 20, "{} public listings", directory.len());
    assert_same_directory(
        "a reader during concurrent writers",
        &mirror.listings,
        &directory,
    );
}
