#!/usr/bin/env python3
"""Bulk-sync benchmark: 10,000 groups in batches of 1,000 against a fresh
database, then the same 10,000 again (all unchanged), on each backend.

Reports the median of several runs and the ratio first/re-sync, measured in
the same run, as JSON and Markdown under bench/results/. Standard library
only. Usage: bench/sync [--runs 5] [--groups 10000] [--backends sqlite,postgres]
"""
import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "circles")
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"

TOPICS = ["depression", "anxiety", "grief", "trauma", "caregiving", "general", "addiction", "ptsd"]
ZONES = ["Europe/London", "America/New_York", "Europe/Berlin", "Australia/Sydney"]
DAYS = ["MO", "TU", "WE", "TH", "FR"]


def group(i, rng):
    fmt = rng.choice(["online", "in_person", "hybrid"])
    g = {
        "external_id": f"g-{i:06d}",
        "name": f"Peer support circle {i}",
        "summary": "A gentle, confidential space to share and listen.",
        "topics": rng.sample(TOPICS, 2),
        "format": fmt,
        "facilitation": rng.choice(["peer_led", "professional", "co_facilitated"]),
        "schedule": {
            "rrule": f"FREQ=WEEKLY;BYDAY={rng.choice(DAYS)}",
            "starts_at": "2026-01-05T18:30:00",
            "timezone": rng.choice(ZONES),
            "duration_minutes": 90,
        },
        "recovery_stages": ["awareness", "preparation"],
        "support_types": ["emotional", "informational"],
        "languages": ["en"],
        "status": "published",
    }
    if fmt != "online":
        g["location"] = {"visibility": "area_only", "locality": "London", "country": "GB",
                         "latitude": 51.5 + rng.random() / 10, "longitude": -0.1 + rng.random() / 10}
    if fmt != "in_person":
        g["online"] = {"platform": "Jitsi", "join_url": f"https://meet.jit.si/circle-{i}"}
    return g


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, r.read()


def run_once(backend, n_groups, batch):
    tmp = tempfile.mkdtemp(prefix="circles-bench-")
    db_name = None
    if backend == "sqlite":
        url = os.path.join(tmp, "circles.db")
    else:
        db_name = f"circles_bench_{os.getpid()}_{int(time.time() * 1000)}"
        subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc", f"CREATE DATABASE {db_name}"], check=True)
        url = f"{PG_SERVER}/{db_name}"
    env = dict(os.environ, DATABASE_URL=url, CIRCLES_DATA_DIR=tmp, CIRCLES_JWT_SECRET=SECRET,
               CIRCLES_HOST="127.0.0.1", RUST_LOG=os.environ.get("BENCH_RUST_LOG", "warn"))
    port = free_port()
    env["CIRCLES_PORT"] = str(port)
    org = json.loads(subprocess.run([BIN, "admin", "create-org", "--name", "Bench", "--kind", "nonprofit"],
                                    env=env, check=True, capture_output=True).stdout)
    client = json.loads(subprocess.run([BIN, "admin", "create-client", "--org", org["id"]],
                                       env=env, check=True, capture_output=True).stdout)
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=open(os.environ["BENCH_SERVER_LOG"], "a") if os.environ.get("BENCH_SERVER_LOG") else subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                request(base + "/readyz")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        form = f"grant_type=client_credentials&client_id={client['client_id']}&client_secret={client['client_secret']}"
        _, body = request(base + "/v1/auth/token", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        token = json.loads(body)["access_token"]
        rng = random.Random(42)
        groups = [group(i, rng) for i in range(n_groups)]
        bodies = [json.dumps({"upsert": groups[i:i + batch]}).encode() for i in range(0, n_groups, batch)]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def sync_all(expect):
            start = time.perf_counter()
            for b in bodies:
                status, out = request(base + "/v1/sync/groups", b, headers)
                counts = json.loads(out)["counts"]
                if status != 200 or counts[expect] != len(json.loads(b)["upsert"]):
                    raise SystemExit(f"unexpected answer: {status} {counts}")
            return time.perf_counter() - start

        first = sync_all("created")
        again = sync_all("unchanged")
        return first, again
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
        if db_name:
            subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--groups", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    report = {"groups": args.groups, "batch": args.batch, "runs": args.runs, "machine": f"{os.cpu_count()} cores",
              "date": time.strftime("%Y-%m-%d"), "backends": {}}
    for backend in args.backends.split(","):
        firsts, agains = [], []
        for r in range(args.runs):
            first, again = run_once(backend, args.groups, args.batch)
            firsts.append(first)
            agains.append(again)
            print(f"{backend} run {r + 1}: first sync {first:.2f} s, unchanged re-sync {again:.2f} s, ratio {first / again:.1f}x", flush=True)
        report["backends"][backend] = {
            "first_sync_s": {"median": round(statistics.median(firsts), 3), "runs": [round(x, 3) for x in firsts]},
            "resync_unchanged_s": {"median": round(statistics.median(agains), 3), "runs": [round(x, 3) for x in agains]},
            "ratio_median": round(statistics.median([f / a for f, a in zip(firsts, agains)]), 2),
        }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "sync.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    lines = [f"# Bulk sync: {args.groups} groups in batches of {args.batch}", "",
             f"Medians of {args.runs} runs, {report['machine']}, {report['date']}. Each run starts from a fresh database.", "",
             "| backend | first sync (s) | unchanged re-sync (s) | ratio |", "|---|---|---|---|"]
    for b, v in report["backends"].items():
        lines.append(f"| {b} | {v['first_sync_s']['median']} | {v['resync_unchanged_s']['median']} | {v['ratio_median']}x |")
    with open(os.path.join(args.out, "sync.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
