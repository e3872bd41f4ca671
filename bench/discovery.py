#!/usr/bin/env python3
"""Discovery benchmark: the main public queries of GET /v1/groups under load,
with /healthz measured in the same run as the ceiling.

For each backend and size: seeds N synthetic groups once (`circles seed
--synthetic N --seed S`, cached in target/bench/ for SQLite and in a database
circles_bench_<N> for PostgreSQL), starts the release server, and loads each
query with wrk (installed from Debian packages if missing) rotating through
many request paths, so no answer is ever the same one twice in a row:

  two_filters  ?topic=…&format=…, ?topic=…&language=…, ?format=…&language=…
  keyword      ?q=… (one word, two words, word prefixes)
  nearby       ?near=<lat>,<lon>&radius_km=10&topic=… around the seeded cities
  deep_page    pages 41–50 of cursor walks (?limit=20, sorted and filtered),
               the cursors fetched before the load

Reports requests/s, p50/p95/p99 and the server's peak RSS (VmHWM, reset
before each load run) per query, the medians over several runs, and checks
the targets. Standard library only. Usage:

  bench/discovery [--sizes 10000,100000,1000000] [--backends sqlite,postgres]
                  [--pg-sizes 100000] [--duration 10] [--runs 3] [--smoke]

`--smoke` (CI): 10,000 groups on SQLite, short runs, one run, results in
target/bench/; fails only when something errors (a non-2xx answer, a socket
error, a server crash), never on timing.
"""
import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "circles")
CACHE = os.path.join(TARGET, "bench")
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"

QUERIES = ["healthz", "two_filters", "keyword", "nearby", "deep_page"]
DESCRIPTIONS = {
    "healthz": "GET /healthz (the ceiling)",
    "two_filters": "list with two filters (topic & format, topic & language, format & language)",
    "keyword": "keyword search (q: one word, two words, prefixes; relevance order)",
    "nearby": "nearby search, 10 km around a seeded city, with a topic filter",
    "deep_page": "a page 41–50 deep in a cursor walk (limit=20; default, name and updated order, filtered lists)",
}

TOPICS = ["depression", "anxiety", "bipolar", "ptsd", "schizophrenia", "eating_disorders", "ocd", "self_harm",
          "grief", "trauma", "abuse", "substance_use", "addiction", "caregiving", "loneliness", "general"]
FORMATS = ["in_person", "online", "hybrid"]
LANGUAGES = ["en", "es", "fr", "de", "pt", "pl", "nl", "it"]

# Words people type, as the seeded names, summaries and descriptions use
# them (src/seed/words.rs): topics in several languages, places, kinds of
# group, parts of the day; two-word queries; and type-ahead prefixes.
KEYWORDS_ONE = [
    "grief", "anxiety", "depression", "trauma", "loneliness", "bipolar", "psychosis", "ocd", "ptsd",
    "carers", "recovery", "addiction", "evening", "morning", "afternoon", "online", "circle", "drop-in",
    "course", "newcomers", "listen", "london", "manchester", "berlin", "paris", "madrid", "dublin", "toronto",
    "chicago", "amsterdam", "duelo", "ansiedad", "depresión", "trauer", "einsamkeit", "deuil", "solitude",
    "depresja", "rouw", "lutto", "ansia", "luto", "selbsthilfegruppe", "entraide", "apoyo",
]
KEYWORDS_TWO = [
    "grief london", "anxiety online", "depression evening", "peer group", "carers support", "trauma survivors",
    "bipolar manchester", "loneliness circle", "eating disorders", "self-harm", "mental health", "grief circle",
    "anxiety berlin", "duelo madrid", "deuil paris", "tuesday evening", "living with depression",
    "psychosis peer", "ocd online", "recovery drop-in", "alcohol drugs", "trauer berlin",
]
KEYWORDS_PREFIX = [
    "gri", "anx", "depr", "trau", "lonel", "bipo", "psych", "carer", "addic", "recov", "even", "morn",
    "manch", "lond", "berl", "amster", "toro", "chic", "grief lon", "anxiety eve", "peer sup", "duel", "ansie",
]


# ---------------------------------------------------------------- helpers

def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=60):
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def psql(db_url, sql, check=True):
    r = subprocess.run(["psql", db_url, "-v", "ON_ERROR_STOP=1", "-tAqc", sql], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit(f"psql failed: {sql}: {r.stderr.strip()}")
    return r.returncode, r.stdout.strip()


def ensure_wrk():
    """wrk from Debian packages; as root without a prompt (CI), else via sudo -n."""
    if shutil.which("wrk"):
        return
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and not shutil.which("sudo"):
        raise SystemExit("wrk is missing; install it with `apt-get install wrk`")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log("installing wrk (apt-get install wrk)")
    install = prefix + ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(prefix + ["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, check=True, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        raise SystemExit("wrk could not be installed")


def wrk_version():
    r = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    first = (r.stdout + r.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = 0
    try:
        with open("/proc/meminfo") as f:
            mem_gb = round(int(f.readline().split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "kernel": platform.release()}


def git_commit():
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() or None


def cities():
    """The seeded city table, read from src/seed/places.rs: (name, lat, lon)."""
    src = os.path.join(ROOT, "src", "seed", "places.rs")
    with open(src, encoding="utf-8") as f:
        text = f.read()
    out = [(m.group(1), float(m.group(2)), float(m.group(3)))
           for m in re.finditer(r'c\("([^"]+)",\s*"[^"]*",\s*"[A-Z]{2}",\s*(-?[0-9.]+),\s*(-?[0-9.]+)', text)]
    if len(out) < 10:
        raise SystemExit(f"could not read the city table in {src}")
    return out


# ---------------------------------------------------------------- databases

def seed(url, n, seed_value):
    env = dict(os.environ, DATABASE_URL=url, RUST_LOG="warn")
    with tempfile.TemporaryDirectory(prefix="circles-seed-") as tmp:
        env["CIRCLES_DATA_DIR"] = tmp
        start = time.perf_counter()
        r = subprocess.run([BIN, "seed", "--synthetic", str(n), "--seed", str(seed_value)],
                           env=env, stdout=subprocess.PIPE, text=True)
        took = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"seeding {n} groups into {url} failed (exit {r.returncode})")
    try:
        summary = json.loads(r.stdout)
    except ValueError:
        summary = {"output": r.stdout.strip()[-500:]}
    summary["seconds"] = round(took, 1)
    log(f"  seeded {n} groups in {took:.1f} s: {json.dumps(summary)}")
    return summary


def sqlite_counts(path, seed_value):
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            groups = con.execute("SELECT count(*) FROM support_groups").fetchone()[0]
            orgs = con.execute("SELECT count(*) FROM organizations WHERE slug LIKE ?",
                               (f"syn-{seed_value}-%",)).fetchone()[0]
        finally:
            con.close()
        return groups, orgs
    except sqlite3.Error:
        return None, None


def sqlite_db(n, seed_value):
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"discovery-sqlite-{n}-{seed_value}.db")
    marker = path + ".seeded.json"
    if os.path.exists(path) and os.path.exists(marker):
        groups, orgs = sqlite_counts(path, seed_value)
        if groups == n and orgs:
            with open(marker) as f:
                info = json.load(f)
            info["reused"] = True
            log(f"  reusing {os.path.relpath(path, ROOT)} ({n} groups)")
            return path, info
    for suffix in ("", "-wal", "-shm", "-journal", ".seeded.json"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    log(f"  seeding {n} groups into {os.path.relpath(path, ROOT)}")
    info = seed(path, n, seed_value)
    groups, orgs = sqlite_counts(path, seed_value)
    if groups != n or not orgs:
        raise SystemExit(f"seeded database has {groups} groups, expected {n}")
    with open(marker, "w") as f:
        json.dump(info, f)
    info = dict(info, reused=False)
    return path, info


def pg_db(n, seed_value):
    name = f"circles_bench_{n}" if seed_value == 1 else f"circles_bench_{n}_s{seed_value}"
    admin = f"{PG_SERVER}/postgres"
    url = f"{PG_SERVER}/{name}"
    _, exists = psql(admin, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists == "1":
        rc, groups = psql(url, "SELECT count(*) FROM support_groups", check=False)
        rc2, orgs = psql(url, f"SELECT count(*) FROM organizations WHERE slug LIKE 'syn-{seed_value}-%'", check=False)
        if rc == 0 and rc2 == 0 and groups == str(n) and orgs not in ("", "0"):
            log(f"  reusing PostgreSQL database {name} ({n} groups)")
            return url, {"reused": True, "database": name}
        psql(admin, f"DROP DATABASE {name} WITH (FORCE)")
    psql(admin, f"CREATE DATABASE {name}")
    log(f"  seeding {n} groups into PostgreSQL database {name}")
    info = seed(url, n, seed_value)
    # A directory in service has been analysed by autovacuum; do it now so
    # the planner sees the real table sizes from the first request.
    psql(url, "VACUUM (ANALYZE)")
    _, groups = psql(url, "SELECT count(*) FROM support_groups")
    if groups != str(n):
        raise SystemExit(f"seeded database {name} has {groups} groups, expected {n}")
    return url, dict(info, reused=False, database=name)


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, database_url, log_path):
        self.tmp = tempfile.mkdtemp(prefix="circles-bench-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=database_url, CIRCLES_DATA_DIR=self.tmp, CIRCLES_JWT_SECRET=SECRET,
                   CIRCLES_HOST="127.0.0.1", CIRCLES_PORT=str(self.port),
                   RUST_LOG=os.environ.get("BENCH_RUST_LOG", "warn"))
        self.log_path = log_path
        self.log_file = open(log_path, "a")
        self.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=self.log_file)
        deadline = time.time() + 120
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited at start (exit {self.proc.returncode}); see {log_path}")
            try:
                status, _ = http_get(self.base + "/readyz", timeout=5)
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            if time.time() > deadline:
                raise SystemExit(f"the server did not become ready; see {log_path}")
            time.sleep(0.1)

    def alive(self):
        return self.proc.poll() is None

    def status(self):
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    out[k] = int(v.split()[0])  # kB
        return out

    def reset_peak(self):
        """Reset VmHWM to the current RSS (Linux ≥ 4.0), so each load run's peak is its own."""
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stop(self):
        crashed = self.proc.poll() is not None
        if not crashed:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return crashed


# ---------------------------------------------------------------- request paths

def q(params):
    return "/v1/groups?" + urllib.parse.urlencode(params, safe=",")


def build_paths(rng, city_table, variants):
    paths = {}
    two = [q({"topic": t, "format": f}) for t in TOPICS for f in FORMATS]
    two += [q({"topic": t, "language": lang}) for t in TOPICS for lang in LANGUAGES]
    two += [q({"format": f, "language": lang}) for f in FORMATS for lang in LANGUAGES]
    rng.shuffle(two)
    paths["two_filters"] = two[:variants]

    words = [("one", w) for w in KEYWORDS_ONE] + [("two", w) for w in KEYWORDS_TWO] + \
            [("prefix", w) for w in KEYWORDS_PREFIX]
    kw = []
    # Each word alone, then with a format or topic filter, or a smaller page,
    # until there are enough distinct paths.
    extras = [{}, {"limit": "10"}, {"format": "online"}, {"format": "in_person"}, {"limit": "50"}]
    for extra in extras:
        for _, w in words:
            kw.append(q(dict({"q": w}, **extra)))
    kw = list(dict.fromkeys(kw))
    first = kw[:len(words)]
    rest = kw[len(words):]
    rng.shuffle(rest)
    kw = first + rest
    kw = kw[:variants]
    rng.shuffle(kw)
    paths["keyword"] = kw

    near = []
    while len(near) < variants:
        name, lat, lon = rng.choice(city_table)
        # Somewhere in the city, within about 5 km of its centre.
        lat += rng.uniform(-0.045, 0.045)
        lon += rng.uniform(-0.06, 0.06)
        near.append(q({"near": f"{lat:.4f},{lon:.4f}", "radius_km": "10", "topic": rng.choice(TOPICS)}))
    paths["nearby"] = near
    paths["healthz"] = ["/healthz"]
    return paths


DEEP_BASES = [
    {}, {"sort": "name"}, {"sort": "updated"},
    {"format": "online"}, {"format": "in_person"}, {"format": "hybrid"},
    {"language": "en"}, {"language": "de"}, {"language": "fr"}, {"language": "es"},
    {"topic": "depression"}, {"topic": "anxiety"}, {"topic": "grief"}, {"topic": "trauma"},
    {"topic": "loneliness"}, {"topic": "caregiving"}, {"topic": "general"}, {"topic": "addiction"},
    {"topic": "anxiety", "sort": "name"}, {"format": "in_person", "sort": "updated"},
]


def deep_cursors(base_url, depth, per_walk):
    """Walk each list `depth` pages by next_cursor; keep the last `per_walk` page paths."""
    out, walks = [], []
    for params in DEEP_BASES:
        params = dict(params, limit="20")
        pages = []
        cursor = None
        for _ in range(depth):
            path = q(dict(params, cursor=cursor)) if cursor else q(params)
            status, body = http_get(base_url + path)
            if status != 200:
                raise SystemExit(f"cursor walk: {path} answered {status}: {body[:300]!r}")
            pages.append(path)
            cursor = json.loads(body).get("next_cursor")
            if not cursor:
                break
        deep = [p for p in pages[1:]][-per_walk:]
        walks.append({"list": q(params), "pages_walked": len(pages)})
        out.extend(deep)
    return out, walks


def validate(base_url, paths):
    """Fetch every path once: all must answer 2xx. Also warms caches; notes
    how many paths find something and which are slowest (one request each)."""
    info = {}
    for name, plist in paths.items():
        nonempty, timings = 0, []
        for p in plist:
            start = time.perf_counter()
            status, body = http_get(base_url + p)
            took = time.perf_counter() - start
            if not 200 <= status < 300:
                raise SystemExit(f"{p} answered {status}: {body[:300]!r}")
            if name != "healthz":
                doc = json.loads(body)
                if doc.get("data"):
                    nonempty += 1
            timings.append((took, p))
        timings.sort(reverse=True)
        info[name] = {
            "variants": len(plist),
            "with_results": nonempty if name != "healthz" else None,
            "examples": plist[:3],
            "slowest_single_ms": [[round(t * 1000, 1), p] for t, p in timings[:5]],
        }
    return info


# ---------------------------------------------------------------- wrk

LUA = r"""
-- Rotates through the request paths in $BENCH_PATHS (one a line) and prints
-- a JSON summary (latencies in microseconds) after the run.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local n = #paths
local threads = 0
function setup(thread)
  thread:set("offset", threads * 97)
  threads = threads + 1
end
local i = 0
function init(args)
  i = (offset or 0) % n
end
function request()
  i = (i % n) + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def wrk_run(base_url, script, paths_file, threads, connections, seconds):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, base_url]
    r = subprocess.run(cmd, env=dict(os.environ, BENCH_PATHS=paths_file), capture_output=True, text=True)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if r.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed (exit {r.returncode}): {r.stdout[-500:]} {r.stderr[-500:]}")
    out = json.loads(line[len("BENCH_JSON "):])
    out["rps"] = out["requests"] / (out["duration_us"] / 1e6) if out["duration_us"] else 0.0
    return out


# ---------------------------------------------------------------- one backend × size

def bench_one(backend, n, args, city_table, workdir, errors):
    log(f"\n== {backend}, {n} groups ==")
    if backend == "sqlite":
        url, seed_info = sqlite_db(n, args.seed)
        seed_info["db_mb"] = round(os.path.getsize(url) / 1e6)
    else:
        url, seed_info = pg_db(n, args.seed)
        _, size = psql(url, f"SELECT pg_database_size('{seed_info['database']}')")
        seed_info["db_mb"] = round(int(size) / 1e6)
    server_log = os.path.join(CACHE, f"discovery-server-{backend}-{n}.log")
    server = Server(url, server_log)
    result = {"seed": seed_info, "queries": {}}
    try:
        rng = random.Random(f"{args.seed}-{n}")
        paths = build_paths(rng, city_table, args.variants)
        start = time.perf_counter()
        try:
            paths["deep_page"], walks = deep_cursors(server.base, args.depth,
                                                     max(1, args.variants // len(DEEP_BASES)))
        except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
            state = "running" if server.alive() else f"exited with code {server.proc.returncode}"
            raise SystemExit(f"cursor walk failed ({e}); the server is {state}; see {server_log}")
        log(f"  cursor walks: {len(paths['deep_page'])} deep pages from {len(walks)} lists "
            f"({time.perf_counter() - start:.1f} s)")
        for name in QUERIES:
            if not paths[name]:
                raise SystemExit(f"no request paths for {name} (is the database seeded?)")
        try:
            vinfo = validate(server.base, paths)
        except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
            state = "running" if server.alive() else f"exited with code {server.proc.returncode}"
            raise SystemExit(f"request failed ({e}); the server is {state}; see {server_log}")
        for name in QUERIES:
            v = vinfo[name]
            found = "" if v["with_results"] is None else f", {v['with_results']} with results"
            log(f"  {name}: {v['variants']} paths{found}")
        files = {}
        for name in QUERIES:
            files[name] = os.path.join(workdir, f"{name}.paths")
            with open(files[name], "w") as f:
                f.write("\n".join(paths[name]) + "\n")
        script = os.path.join(workdir, "rotate.lua")
        with open(script, "w") as f:
            f.write(LUA)
        per_run = {name: [] for name in QUERIES}
        peak_scope = "per load run"
        for run in range(args.runs):
            parts = []
            for name in QUERIES:
                # Warm up right before each measured run: run after run, the
                # other queries' load outlasted this one's cached answers
                # (5 s, and as long again while one is recomputed), so every
                # run began with all its paths uncached at once. Each path is
                # asked once, one after another (2 s of load did not reach
                # every path at 1M groups), then loaded for --warmup seconds.
                # During the run, answers expire and are recomputed as usual.
                if args.warmup > 0:
                    for p in paths[name]:
                        http_get(server.base + p)
                    wrk_run(server.base, script, files[name], args.threads, args.connections, args.warmup)
                if not server.reset_peak():
                    peak_scope = "since server start"
                out = wrk_run(server.base, script, files[name], args.threads, args.connections, args.duration)
                if not server.alive():
                    errors.append(f"{backend} {n} {name}: the server exited (code {server.proc.returncode}); see {server_log}")
                    raise SystemExit(errors[-1])
                st = server.status()
                out["peak_rss_kb"] = st["VmHWM"]
                out["rss_after_kb"] = st["VmRSS"]
                bad = {k: out[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors") if out[k]}
                if bad:
                    errors.append(f"{backend} {n} {name} run {run + 1}: {bad}")
                if out["requests"] == 0:
                    errors.append(f"{backend} {n} {name} run {run + 1}: no request completed")
                per_run[name].append(out)
                parts.append(f"{name} {out['rps']:.0f}/s p99 {out['p99_us'] / 1000:.1f} ms")
            log(f"  run {run + 1}: " + ", ".join(parts))
        ceiling = per_run["healthz"]
        for name in QUERIES:
            runs = per_run[name]
            med = lambda k: statistics.median(r[k] for r in runs)
            pct = statistics.median(r["rps"] / h["rps"] * 100 for r, h in zip(runs, ceiling) if h["rps"])
            result["queries"][name] = {
                "rps": round(med("rps"), 1),
                "pct_of_healthz": round(pct, 1),
                "p50_ms": round(med("p50_us") / 1000, 2),
                "p95_ms": round(med("p95_us") / 1000, 2),
                "p99_ms": round(med("p99_us") / 1000, 2),
                "max_ms": round(med("max_us") / 1000, 2),
                "peak_rss_mb": round(max(r["peak_rss_kb"] for r in runs) / 1024, 1),
                "timeouts": sum(r["timeouts"] for r in runs),
                "errors": sum(r["status_errors"] + r["connect_errors"] + r["read_errors"] + r["write_errors"]
                              for r in runs),
                "runs": [{"rps": round(r["rps"], 1), "p50_ms": round(r["p50_us"] / 1000, 2),
                          "p95_ms": round(r["p95_us"] / 1000, 2), "p99_ms": round(r["p99_us"] / 1000, 2),
                          "requests": r["requests"], "peak_rss_mb": round(r["peak_rss_kb"] / 1024, 1)}
                         for r in runs],
                **vinfo[name],
            }
        result["peak_rss_mb"] = max(v["peak_rss_mb"] for v in result["queries"].values())
        result["peak_rss_scope"] = peak_scope
        result["cursor_walks"] = walks
    finally:
        if server.stop():
            errors.append(f"{backend} {n}: the server had exited (code {server.proc.returncode}); see {server_log}")
    return result


# ---------------------------------------------------------------- targets and report

def targets(results):
    """The issue's targets, each with its measured value and whether it is met."""
    out = []

    def get(backend, n):
        return results.get(backend, {}).get(str(n))

    for backend in results:
        r = get(backend, 100_000)
        if r:
            for name in ("two_filters", "nearby"):
                v = r["queries"][name]
                out.append({"target": f"{backend} 100k {name}: ≥ 50 % of /healthz requests/s",
                            "value": v["pct_of_healthz"], "limit": 50, "unit": "%", "met": v["pct_of_healthz"] >= 50})
                out.append({"target": f"{backend} 100k {name}: p99 < 10 ms",
                            "value": v["p99_ms"], "limit": 10, "unit": "ms", "met": v["p99_ms"] < 10})
    for backend in results:
        r = get(backend, 1_000_000)
        if r:
            v = r["queries"]["keyword"]
            out.append({"target": f"{backend} 1M keyword search: p95 < 25 ms",
                        "value": v["p95_ms"], "limit": 25, "unit": "ms", "met": v["p95_ms"] < 25})
    for backend in results:
        small, big = get(backend, 10_000), get(backend, 1_000_000)
        if small and big:
            for name in QUERIES[1:]:
                a, b = small["queries"][name]["p50_ms"], big["queries"][name]["p50_ms"]
                growth = round(b / a, 2) if a else None
                out.append({"target": f"{backend} {name}: p50 grows < 5× from 10k to 1M",
                            "value": growth, "limit": 5, "unit": "×", "met": growth is not None and growth < 5})
    for backend in results:
        r = get(backend, 1_000_000)
        if r:
            out.append({"target": f"{backend} 1M: server peak RSS under load < 200 MB",
                        "value": r["peak_rss_mb"], "limit": 200, "unit": "MB", "met": r["peak_rss_mb"] < 200})
    for t in out:
        if t["met"]:
            t["verdict"] = "met"
        elif t["value"] is None:
            t["verdict"] = "missed (no 10k p50 to compare)"
        elif t["unit"] == "×":
            t["verdict"] = f"missed: grows {t['value']}× (limit 5×)"
        elif t["unit"] == "%":
            t["verdict"] = f"missed by {round(t['limit'] - t['value'], 1)} points"
        else:
            t["verdict"] = f"missed by {round(t['value'] - t['limit'], 2)} {t['unit']} ({round(t['value'] / t['limit'], 2)}× the limit)"
    return out


def size_label(n):
    n = int(n)
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def markdown(report):
    lines = ["# Discovery: the main group queries under load", "",
             f"{report['machine']['cores']} cores ({report['machine']['cpu']}), {report['date']}, commit "
             f"{report['commit']}. {report['load_generator']} on the same machine: `{report['wrk_flags']}` per query; "
             f"medians of {report['runs']} run(s) of {report['duration_s']} s each right after a warm-up of the same query (every path asked once, then {report['warmup_s']} s of load); "
             "with the response cache on (the default), answers expire and are recomputed during the runs. "
             f"Each query rotates through ~{report['variants']} request paths. `/healthz` is measured in the same "
             "runs as the ceiling. Peak RSS is the server's VmHWM during each load run (reset before it).", "",
             "| backend | groups | query | req/s | % of /healthz | p50 ms | p95 ms | p99 ms | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for backend, sizes in report["results"].items():
        for n, r in sizes.items():
            for name in QUERIES:
                v = r["queries"][name]
                lines.append(f"| {backend} | {size_label(n)} | {name} | {v['rps']:.0f} | {v['pct_of_healthz']:.0f} % | "
                             f"{v['p50_ms']:.2f} | {v['p95_ms']:.2f} | {v['p99_ms']:.2f} | {v['peak_rss_mb']:.0f} |")
    lines += ["", "Queries:", ""] + [f"- `{k}`: {v}" for k, v in DESCRIPTIONS.items()]
    lines += ["", "## Targets", ""]
    if report["targets"]:
        lines += ["| target | measured | verdict |", "|---|---|---|"]
        for t in report["targets"]:
            lines.append(f"| {t['target']} | {t['value']} {t['unit']} | {t['verdict']} |")
    else:
        lines.append("No target applies to the sizes run.")
    seeds = []
    for backend, sizes in report["results"].items():
        for n, r in sizes.items():
            s = r["seed"]
            how = "reused" if s.get("reused") else f"seeded in {s.get('seconds')} s"
            seeds.append(f"- {backend} {size_label(n)}: database {s.get('db_mb')} MB ({how})")
    lines += ["", "## Data", "", f"`circles seed --synthetic N --seed {report['seed']}`:", ""] + seeds
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="SQLite sizes (groups)")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg-sizes", default="100000", help="PostgreSQL sizes (groups)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per load run")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load of a query right before each of its runs")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (1 leaves a core to the server on 2 cores)")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections")
    ap.add_argument("--variants", type=int, default=200, help="request paths per query")
    ap.add_argument("--depth", type=int, default=50, help="pages walked by cursor for deep_page")
    ap.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    ap.add_argument("--smoke", action="store_true",
                    help="CI: 10k groups on SQLite, 3 s runs, one run, results in target/bench/")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default=None, help="directory of discovery.{json,md}")
    args = ap.parse_args()
    if args.smoke:
        args.sizes, args.backends, args.duration, args.warmup, args.runs = "10000", "sqlite", 3, 1, 1
    out_dir = args.out or (CACHE if args.smoke else os.path.join(ROOT, "bench", "results"))
    plan = []
    for backend in args.backends.split(","):
        sizes = args.sizes if backend == "sqlite" else args.pg_sizes
        if backend not in ("sqlite", "postgres"):
            raise SystemExit(f"unknown backend {backend}")
        plan += [(backend, int(s)) for s in sizes.split(",") if s]

    began = time.perf_counter()
    ensure_wrk()
    if not args.no_build:
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(CACHE, exist_ok=True)
    city_table = cities()
    report = {
        "date": time.strftime("%Y-%m-%d"), "commit": git_commit(), "machine": machine(),
        "load_generator": wrk_version(),
        "wrk_flags": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
        "threads": args.threads, "connections": args.connections, "duration_s": args.duration,
        "warmup_s": args.warmup, "runs": args.runs, "variants": args.variants, "depth": args.depth,
        "seed": args.seed, "smoke": args.smoke, "queries": DESCRIPTIONS,
        "load_average_at_start": list(os.getloadavg()), "results": {},
    }
    errors = []
    with tempfile.TemporaryDirectory(prefix="circles-discovery-") as workdir:
        for backend, n in sorted(plan, key=lambda p: (p[0] != "sqlite", p[1])):
            try:
                r = bench_one(backend, n, args, city_table, workdir, errors)
            except SystemExit as e:
                errors.append(str(e))
                log(f"  FAILED: {e}")
                continue
            report["results"].setdefault(backend, {})[str(n)] = r
    report["targets"] = targets(report["results"])
    report["errors"] = errors
    report["seconds"] = round(time.perf_counter() - began)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "discovery.json"), "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")
    md = markdown(report)
    with open(os.path.join(out_dir, "discovery.md"), "w") as f:
        f.write(md)
    log("\n" + md)
    log(f"results in {os.path.relpath(out_dir, ROOT)}/discovery.{{json,md}} ({report['seconds']} s)")
    if errors:
        log("ERRORS:\n" + "\n".join(f"- {e}" for e in errors))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
