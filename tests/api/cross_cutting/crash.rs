//! Crash safety: the real binary is killed (`SIGKILL`) while bulk syncs are
//! streaming, then restarted on the same database. Every acknowledged batch
//! is there, no atomic batch is half there, and the change feed (followed
//! across the crash, and walked from the start) reproduces the directory.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{
    assert_same_directory, create_client_in, create_org_in, directory, group_body, send_to,
    test_database, token_from, Mirror, JWT_SECRET,
};

/// The binary, running as a child process; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

/// Start `circles serve` on `database_url`, and wait until it answers.
async fn start(
    client: &reqwest::Client,
    database_url: &str,
    data_dir: &Path,
    run: usize,
) -> Server {
    let mut last_log = String::new();
    // A port found free may be taken again before the child binds it: retry.
    for attempt in 0..5 {
        let port = free_port();
        let log_path = data_dir.join(format!("server-{run}-{attempt}.log"));
        let log = std::fs::File::create(&log_path).expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_circles"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("CIRCLES_JWT_SECRET", JWT_SECRET)
            .env("CIRCLES_HOST", "127.0.0.1")
            .env("CIRCLES_PORT", port.to_string())
            .env("CIRCLES_DATA_DIR", data_dir)
            .env("CIRCLES_WORKERS", "2")
            .env("RUST_LOG", "warn")
            .current_dir(data_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log handle"))
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
                eprintln!("circles exited with {status} on port {port}: {last_log}");
                break;
            }
            let up = client
                .get(format!("{}/healthz", server.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "circles did not become healthy in 30 s: {}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("circles would not start: {last_log}");
}

const BATCH: usize = 50;

fn is_atomic(batch: usize) -> bool {
    batch % 3 == 2
}

fn ext(batch: usize, item: usize) -> String {
    format!("b{batch}-{item}")
}

fn batch_body(batch: usize) -> Value {
    let upsert: Vec<Value> = (0..BATCH)
        .map(|i| {
            group_body(json!({
                "external_id": ext(batch, i),
                "name": format!("Batch {batch} item {i}"),
                "status": "published",
                "schedule": {"starts_at": "2030-01-03T19:00:00"},
            }))
        })
        .collect();
    json!({"upsert": upsert})
}

fn sync_path(batch: usize) -> &'static str {
    if is_atomic(batch) {
        "/v1/sync/groups?atomic=true"
    } else {
        "/v1/sync/groups"
    }
}

/// What the streaming task learnt about each batch.
#[derive(Debug, Clone)]
struct Sent {
    batch: usize,
    /// `Some(answer)` when a 200 came back.
    acked: Option<Value>,
}

/// Send batches `first..` one after the other until one fails (the server
/// died); record each.
async fn stream(
    client: reqwest::Client,
    base: String,
    token: String,
    first: usize,
    log: Arc<Mutex<Vec<Sent>>>,
    acked: Arc<AtomicUsize>,
) {
    for batch in first..first + 1000 {
        let res = client
            .post(format!("{base}{}", sync_path(batch)))
            .bearer_auth(&token)
            .json(&batch_body(batch))
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        let answer = match res {
            Ok(r) if r.status().as_u16() == 200 => r.json::<Value>().await.ok(),
            Ok(r) => panic!("batch {batch}: {} {:?}", r.status(), r.text().await),
            Err(_) => None,
        };
        let ok = answer.is_some();
        log.lock().unwrap().push(Sent {
            batch,
            acked: answer,
        });
        if !ok {
            return;
        }
        acked.fetch_add(1, Ordering::SeqCst);
    }
}

/// Stream batches from `first`, follow the feed meanwhile, and kill the
/// server after `kill_after` acknowledged batches (plus a little, so that
/// the next batch is in flight).
async fn stream_and_kill(
    client: &reqwest::Client,
    server: &mut Server,
    token: &str,
    first: usize,
    kill_after: usize,
    delay_ms: u64,
    mirror: &mut Mirror,
) -> Vec<Sent> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let acked = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(stream(
        client.clone(),
        server.base.clone(),
        token.to_owned(),
        first,
        log.clone(),
        acked.clone(),
    ));
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::SeqCst) < kill_after {
        assert!(Instant::now() < deadline, "batches are too slow");
        mirror.poll().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("the killed server is reaped");
    task.await.expect("the stream ends");
    let sent = log.lock().unwrap().clone();
    assert!(
        sent.iter().filter(|s| s.acked.is_some()).count() >= kill_after,
        "{sent:?}"
    );
    assert!(
        sent.last().is_some_and(|s| s.acked.is_none()),
        "a batch was in flight"
    );
    sent
}

/// Every public group by external id (all groups of the test are public).
async fn groups_by_ext(
    client: &reqwest::Client,
    base: &str,
) -> std::collections::HashMap<String, Value> {
    let dir = directory(client, base).await;
    let mut out = std::collections::HashMap::new();
    for ((t, _), g) in dir {
        assert_eq!(t, "group");
        let e = g["external_id"]
            .as_str()
            .expect("an external id")
            .to_owned();
        assert!(
            out.insert(e.clone(), g).is_none(),
            "{e} twice in the directory"
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_sync_loses_no_acknowledged_batch_and_splits_no_atomic_one() {
    let db = test_database();
    let data_dir = db.dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let (org_id, _) = create_org_in(
        &db.pool,
        "Crashing partner",
        circles::vocab::OrganizationKind::Nonprofit,
    );
    let creds = create_client_in(&db.pool, &org_id, false);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let mut server = start(&client, &db.url, &data_dir, 0).await;
    let token = token_from(
        &client,
        &server.base,
        &creds.client_id,
        &creds.client_secret,
    )
    .await;
    let mut mirror = Mirror::new(client.clone(), &server.base);
    mirror.limit = 20;

    // Three crashes, each after a few acknowledged batches, with the next
    // one in flight (killed at different moments of its processing).
    let mut sent: Vec<Sent> = Vec::new();
    for (run, (kill_after, delay_ms)) in [(4, 20), (2, 80), (2, 140)].into_iter().enumerate() {
        let first = sent.last().map_or(0, |s| s.batch + 1);
        sent.extend(
            stream_and_kill(
                &client,
                &mut server,
                &token,
                first,
                kill_after,
                delay_ms,
                &mut mirror,
            )
            .await,
        );
        drop(server);
        server = start(&client, &db.url, &data_dir, run + 1).await;
        // The follower keeps its cursor across the crash.
        let mut m = Mirror::new(client.clone(), &server.base);
        m.cursor = mirror.cursor.take();
        m.listings = std::mem::take(&mut mirror.listings);
        m.limit = 20;
        mirror = m;
    }
    let base = server.base.clone();

    // Every acknowledged batch is fully there; no atomic batch is split.
    let groups = groups_by_ext(&client, &base).await;
    let mut problems = Vec::new();
    let mut unacked = Vec::new();
    for s in &sent {
        let present: Vec<usize> = (0..BATCH)
            .filter(|i| groups.contains_key(&ext(s.batch, *i)))
            .collect();
        match &s.acked {
            Some(answer) => {
                if present.len() != BATCH {
                    problems.push(format!(
                        "batch {} was acknowledged but only {} of {BATCH} items are there",
                        s.batch,
                        present.len()
                    ));
                }
                for r in answer["results"].as_array().unwrap() {
                    let i = r["index"].as_u64().unwrap() as usize;
                    let g = groups.get(&ext(s.batch, i));
                    if r["outcome"] != "created" || g.is_none_or(|g| g["id"] != r["id"]) {
                        problems.push(format!("batch {}: item {i}: {r}", s.batch));
                    }
                }
            }
            None => {
                if is_atomic(s.batch) && !(present.is_empty() || present.len() == BATCH) {
                    problems.push(format!(
                        "atomic batch {} is partially there: {} of {BATCH} items",
                        s.batch,
                        present.len()
                    ));
                }
                unacked.push((s.batch, present.len()));
            }
        }
    }
    let last = sent.last().unwrap().batch;
    let strays: Vec<&String> = groups
        .keys()
        .filter(|e| {
            e.strip_prefix('b')
                .and_then(|r| r.split('-').next())
                .and_then(|b| b.parse::<usize>().ok())
                .is_none_or(|b| b > last)
        })
        .collect();
    assert!(strays.is_empty(), "groups nobody sent: {strays:?}");
    assert!(
        problems.is_empty(),
        "after three crashes (unacknowledged batches: {unacked:?}):\n{}",
        problems.join("\n")
    );

    // The follower resumes with its cursor from before the crashes and ends
    // where the directory is; so does a walk from the start.
    let mut follower = mirror;
    follower.drain().await;
    let dir = directory(&client, &base).await;
    assert_same_directory("the follower across the crashes", &follower.listings, &dir);
    let mut fresh = Mirror::new(client.clone(), &base);
    fresh.limit = 37;
    fresh.drain().await;
    assert_same_directory(
        "the feed from the start after the crashes",
        &fresh.listings,
        &dir,
    );

    // The partner retries what was not acknowledged: each item is created
    // or found unchanged, and then everything is there.
    for (batch, _) in &unacked {
        let r = send_to(
            &client,
            &base,
            Method::POST,
            sync_path(*batch),
            Some(&token),
            Some(&batch_body(*batch)),
            &[],
        )
        .await;
        let answer = r.expect(200);
        let c = &answer["counts"];
        assert_eq!(
            c["created"].as_u64().unwrap() + c["unchanged"].as_u64().unwrap(),
            BATCH as u64,
            "retrying batch {batch}: {c}"
        );
    }
    let groups = groups_by_ext(&client, &base).await;
    assert_eq!(
        groups.len(),
        (last + 1) * BATCH,
        "every batch is there once"
    );
    follower.drain().await;
    assert_same_directory(
        "the follower after the retries",
        &follower.listings,
        &directory(&client, &base).await,
    );
    drop(server);
}
