#!/usr/bin/env python3
"""Discovery benchmark: the main public queries of GET /v1/groups under load,
with /healthz measured in the same rounds as the ceiling.

For each backend and size: seeds N synthetic groups once (`circles seed
--synthetic N --seed S`, cached in target/bench/ for SQLite and in a database
circles_bench_<N> for PostgreSQL), starts the release server and loads it
with wrk (installed from Debian packages if missing) in three modes.

Distinct requests (the headline). A generator draws realistic request paths
from the seeded data, none asked twice in a run, so the in-process response
cache cannot answer them (`--distinct`, default 20,000 paths per list):

  mix          40 % nearby, 20 % keyword, 20 % filters, 10 % by id,
               10 % second pages, shuffled
  nearby       ?near=<lat>,<lon>&radius_km=… at jittered points around the
               seeded cities (src/seed/places.rs), a third with a topic
  keyword      ?q= one or two words of the seeded names, summaries and
               descriptions (read through the API), or the start of a word,
               a third with one filter
  filters      two or three of topic, format, language, stage, support_type,
               cost, facilitation, enrollment, accepting_new_members (values
               from GET /v1/taxonomies and the seeded languages)
  by_id        GET /v1/groups/{id}, ids listed by the API before the load
  second_page  ?cursor= of a nearby, keyword or filters search whose first
               page was fetched before the load

Each list (the mix, and each kind alone) is loaded with the response cache
off (CIRCLES_RESPONSE_CACHE_SECONDS=0) and on (`--cache-seconds`, default 5),
each load right after a /healthz load of the same length (alternating); each
wrk thread walks its own slice of the list and stops when the slice is used
up, so a run that runs out of paths is shorter than `--distinct-duration`
(its req/s is over the time it ran). Every path is asked once beforehand, on
the cache-off server, and must answer 2xx. A sequential mode asks
`--sequential` other paths per kind one at a time on one keep-alive
connection and reports p50/p95/p99 per kind.

Rotating paths (the response cache's hit path). The earlier benchmark, kept
for comparison: each query rotates through ~200 request paths, so after the
warm-up nearly every answer comes from the response cache:

  two_filters  ?topic=…&format=…, ?topic=…&language=…, ?format=…&language=…
  keyword      ?q=… (one word, two words, word prefixes)
  nearby       ?near=<lat>,<lon>&radius_km=10&topic=… around the seeded cities
  deep_page    pages 41–50 of cursor walks (?limit=20, sorted and filtered),
               the cursors fetched before the load

These run on the cache-on server (on the cache-off one when the environment
sets CIRCLES_RESPONSE_CACHE_SECONDS=0). All the load comes from one address,
so the servers run with the per-address read limit off
(CIRCLES_RATE_READS_PER_MINUTE=0) unless the environment sets it.

Reports requests/s, % of /healthz, p50/p95/p99 and the server's peak RSS
(VmHWM, reset before each load run) per query, the medians over `--runs`
runs, and checks the targets. Any non-2xx answer, socket error or server
crash fails the run. Standard library only. Usage:

  bench/discovery [--sizes 10000,100000,1000000] [--backends sqlite,postgres]
                  [--pg-sizes 100000] [--duration 10] [--runs 3]
                  [--distinct 20000] [--sequential 500] [--cache-seconds 5]
                  [--smoke]

`--smoke` (CI): 10,000 groups on SQLite, short runs, one run, a short
distinct run (2,000 paths per list, 100 sequential requests per kind),
results in target/bench/; fails only when something errors (a non-2xx
answer, a socket error, a server crash), never on timing.
"""
import argparse
import concurrent.futures
import http.client
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
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
    def __init__(self, database_url, log_path, cache_seconds=None):
        """`cache_seconds`: CIRCLES_RESPONSE_CACHE_SECONDS for this server
        (0: the response cache is off); None keeps the environment's."""
        self.tmp = tempfile.mkdtemp(prefix="circles-bench-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=database_url, CIRCLES_DATA_DIR=self.tmp, CIRCLES_JWT_SECRET=SECRET,
                   CIRCLES_HOST="127.0.0.1", CIRCLES_PORT=str(self.port),
                   RUST_LOG=os.environ.get("BENCH_RUST_LOG", "warn"))
        if cache_seconds is not None:
            env["CIRCLES_RESPONSE_CACHE_SECONDS"] = str(cache_seconds)
        # All the load comes from one address: the per-address read limit
        # (1200 a minute by default) would answer nearly all of it with 429.
        # Off unless the environment sets it.
        env.setdefault("CIRCLES_RATE_READS_PER_MINUTE", "0")
        self.cache_seconds = int(env.get("CIRCLES_RESPONSE_CACHE_SECONDS") or 5)
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


# ---------------------------------------------------------------- distinct requests

DISTINCT_KINDS = ["nearby", "keyword", "filters", "by_id", "second_page"]
MIX_SHARES = {"nearby": 0.4, "keyword": 0.2, "filters": 0.2, "by_id": 0.1, "second_page": 0.1}
DISTINCT_RUNS = ["mix"] + DISTINCT_KINDS
DISTINCT_DESCRIPTIONS = {
    "mix": "40 % nearby, 20 % keyword, 20 % filters, 10 % by id, 10 % second pages, shuffled",
    "nearby": "`near=<lat>,<lon>&radius_km=` 2–50 at a point jittered around a seeded city (most within ~5 km "
              "of its centre); a third with a topic, a tenth with `include_online`",
    "keyword": "`q=` one word or two words of one group's name, summary or description, or the start of a word "
               "(type-ahead); a third with one filter (topic, format or language)",
    "filters": "two or three filters (topic, format, language, stage, support_type, cost, facilitation, enrollment, "
               "accepting_new_members), values from `GET /v1/taxonomies` and the seeded languages, sometimes any-of "
               "lists; a fifth with a sort, some with `limit` or `include_total`",
    "by_id": "`GET /v1/groups/{id}`, ids listed by the API before the load",
    "second_page": "the second page (`cursor=`) of a nearby, keyword or filters search whose first page was fetched "
                   "before the load",
}
# Filters of the group list with a closed vocabulary, and its taxonomy.
FILTER_TAXONOMIES = {"topic": "topics", "format": "formats", "enrollment": "enrollment",
                     "facilitation": "facilitation", "stage": "recovery_stages", "support_type": "support_types",
                     "cost": "cost_kinds"}
# How often people combine each filter.
FILTER_WEIGHTS = [("topic", 5), ("format", 4), ("language", 4), ("cost", 2), ("facilitation", 2), ("stage", 1.5),
                  ("support_type", 1.5), ("enrollment", 1), ("accepting_new_members", 1)]
# One order of parameters, so one search is one path.
PARAM_ORDER = ["q", "near", "radius_km", "include_online", "topic", "format", "language", "enrollment",
               "facilitation", "stage", "support_type", "cost", "accepting_new_members", "sort", "include_total",
               "limit"]
RADII = [("2", 1), ("5", 3), ("10", 4), ("25", 3), ("50", 1)]


def qp(params):
    return q({k: params[k] for k in sorted(params, key=PARAM_ORDER.index)})


def weighted_choice(rng, items):
    return rng.choices([v for v, _ in items], weights=[w for _, w in items])[0]


def stop_words():
    """The English stop words the server drops from `q` (src/search/mod.rs)."""
    words = set()
    try:
        with open(os.path.join(ROOT, "src", "search", "mod.rs"), encoding="utf-8") as f:
            m = re.search(r"STOP_WORDS: &\[&str\] = &\[(.*?)\];", f.read(), re.S)
        if m:
            words = set(re.findall(r'"([^"]*)"', m.group(1)))
    except OSError:
        pass
    return words or {"the", "and", "for", "with", "a", "an", "of", "in", "on", "to", "at", "by", "or", "is"}


class Client:
    """One keep-alive HTTP/1.1 connection, opened again if the server closed it."""

    def __init__(self, base_url, timeout=60):
        u = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = None

    def get(self, path):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers={"Accept": "application/json"})
                r = self.conn.getresponse()
                body = r.read()
                if r.will_close:
                    self.close()
                return r.status, body
            except (ConnectionError, http.client.HTTPException):
                # A keep-alive connection the server had closed; a GET is safe to send again.
                self.close()
                if attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def get_json(client, path):
    status, body = client.get(path)
    if status != 200:
        raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    return json.loads(body)


def gather(client, need_ids):
    """What the generator draws from, asked of the API: the vocabularies
    (GET /v1/taxonomies), the seeded languages (facet counts), and group ids
    and texts (GET /v1/groups?limit=100, walked by cursor)."""
    taxonomies = {t["name"]: [v["value"] for v in t["values"]] for t in get_json(client, "/v1/taxonomies")["data"]}
    vocab = {}
    for param, name in FILTER_TAXONOMIES.items():
        if not taxonomies.get(name):
            raise SystemExit(f"GET /v1/taxonomies lists no {name}")
        vocab[param] = taxonomies[name]
    langs = (get_json(client, q({"facets": "language", "limit": "1"})).get("facets") or {}).get("language") or {}
    vocab["language"] = [lang for lang, c in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0])) if c > 0]
    if not vocab["language"]:
        raise SystemExit("no group has a language (is the database seeded?)")
    # People look for the languages groups meet in about as often as groups
    # do (the square root keeps the rare ones in).
    vocab["language_weights"] = [math.sqrt(langs[lang]) for lang in vocab["language"]]
    ids, texts, cursor = [], [], None
    while len(ids) < need_ids:
        doc = get_json(client, q({"limit": "100", "cursor": cursor}) if cursor else q({"limit": "100"}))
        for g in doc["data"]:
            ids.append(g["id"])
            texts.append((g.get("name") or "", " ".join(filter(None, (g.get("summary"), g.get("description"))))))
        cursor = doc.get("next_cursor")
        if not cursor:
            break
    return vocab, ids, texts


class Generator:
    """Realistic group searches drawn from the seeded data."""

    def __init__(self, rng, city_table, vocab, texts):
        self.rng, self.cities, self.vocab = rng, city_table, vocab
        stop = stop_words()

        def words(text):
            return [w for w in re.findall(r"[^\W_]+", text.lower())
                    if len(w) >= 3 and not w.isdigit() and w not in stop]

        # Per group: the words of its name, and of its name, summary and description.
        self.docs = []
        for name, rest in texts:
            in_name = words(name)
            if in_name:
                self.docs.append((in_name, in_name + words(rest)))
        if not self.docs:
            raise SystemExit("no group name to draw keywords from")
        self.words = sorted({w for _, d in self.docs for w in d})

    def value(self, param):
        if param == "language":
            return self.rng.choices(self.vocab["language"], weights=self.vocab["language_weights"])[0]
        return self.rng.choice(self.vocab[param])

    def nearby(self):
        r = self.rng
        _, lat, lon = r.choice(self.cities)
        # Mostly within about 5 km of the centre, sometimes in the outskirts (~20 km).
        spread = 1 if r.random() < 0.8 else 4
        params = {"near": f"{lat + r.uniform(-0.045, 0.045) * spread:.4f},{lon + r.uniform(-0.06, 0.06) * spread:.4f}",
                  "radius_km": weighted_choice(r, RADII)}
        if r.random() < 0.35:
            params["topic"] = self.value("topic")
        if r.random() < 0.1:
            params["include_online"] = "true"
        return qp(params)

    def keyword(self):
        r = self.rng
        name, text = r.choice(self.docs)
        # Mostly the words of a group's name (what people look for), else of its summary or description.
        doc = name if r.random() < 0.6 else text
        shape = r.random()
        if shape < 0.45 or len(doc) < 2:
            # One word: as often as groups use it, sometimes any word of the texts.
            words = [r.choice(doc) if r.random() < 0.85 else r.choice(self.words)]
        else:
            # Two words of one group's text, mostly side by side.
            i = r.randrange(len(doc) - 1)
            j = i + 1 if r.random() < 0.6 else r.randrange(len(doc))
            words = [doc[i]] if doc[i] == doc[j] else [doc[i], doc[j]]
        if shape >= 0.75 and len(words[-1]) >= 4:
            # Type-ahead: the last word is still being typed.
            words[-1] = words[-1][:r.randint(3, len(words[-1]) - 1)]
        params = {"q": " ".join(words)}
        if r.random() < 0.3:
            f = r.choice(["topic", "format", "language"])
            params[f] = self.value(f)
        return qp(params)

    def filters(self):
        r = self.rng
        names = []
        while len(names) < (2 if r.random() < 0.65 else 3):
            name = weighted_choice(r, FILTER_WEIGHTS)
            if name not in names:
                names.append(name)
        params = {}
        for name in names:
            if name == "accepting_new_members":
                params[name] = "true" if r.random() < 0.85 else "false"
                continue
            if r.random() < 0.15:
                # Any of two values.
                a, b = self.value(name), self.value(name)
                params[name] = ",".join(sorted({a, b}))
            else:
                params[name] = self.value(name)
        if r.random() < 0.2:
            params["sort"] = r.choice(["name", "next_meeting", "updated"])
        if r.random() < 0.15:
            params["limit"] = r.choice(["10", "50"])
        if r.random() < 0.1:
            params["include_total"] = "true"
        return qp(params)

    def broad(self):
        """A first page likely to have a second: one filter, a common word, a wide circle."""
        r = self.rng
        x = r.random()
        if x < 0.4:
            _, lat, lon = r.choice(self.cities)
            params = {"near": f"{lat + r.uniform(-0.05, 0.05):.4f},{lon + r.uniform(-0.07, 0.07):.4f}",
                      "radius_km": r.choice(["25", "50"])}
        elif x < 0.7:
            params = {"q": r.choice(r.choice(self.docs)[0])}
        else:
            f = weighted_choice(r, FILTER_WEIGHTS[:-1])
            params = {f: self.value(f)}
            if r.random() < 0.5:
                params["sort"] = r.choice(["name", "next_meeting", "updated"])
        if r.random() < 0.5:
            params["limit"] = r.choice(["10", "50"])
        return qp(params)


def draw(make, count, seen, what):
    """`count` paths from `make()` that are in no other list (`seen`)."""
    out, tries = [], 0
    while len(out) < count:
        p = make()
        tries += 1
        if p not in seen:
            seen.add(p)
            out.append(p)
        elif tries > 50 * count + 1000:
            log(f"  note: only {len(out)} distinct {what} paths could be drawn ({count} wanted)")
            break
    return out


_local = threading.local()


def check_path(base_url, path):
    """Ask `path` once; it must answer 2xx. Returns (path, ms, has results, next_cursor)."""
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "base", None) != base_url:
        client = _local.client = Client(base_url)
        _local.base = base_url
    start = time.perf_counter()
    status, body = client.get(path)
    took = (time.perf_counter() - start) * 1000
    if not 200 <= status < 300:
        raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    # Read without parsing (on 2 cores, json.loads of every page took CPU
    # the server needs): a list is {"data":[…],…,"next_cursor":"…"|null};
    # inside a JSON string those quotes would be escaped.
    if not body.startswith(b'{"data":'):
        return path, took, True, None
    found = not body.startswith(b'{"data":[]')
    i = body.rfind(b'"next_cursor":"')
    cursor = None
    if i >= 0:
        i += len(b'"next_cursor":"')
        cursor = body[i:body.index(b'"', i)].decode()
    return path, took, found, cursor


def check_all(base_url, paths, workers):
    """check_path for every path, `workers` at a time; {path: (ms, has results, next_cursor)}."""
    out = {}
    began, step = time.perf_counter(), max(10000, len(paths) // 5)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for path, took, found, cursor in pool.map(lambda p: check_path(base_url, p), paths, chunksize=64):
            out[path] = (took, found, cursor)
            if len(out) % step == 0 and len(out) < len(paths):
                log(f"    {len(out)} of {len(paths)} paths answered 2xx ({time.perf_counter() - began:.0f} s)")
    return out


def mix_counts(n):
    counts = {k: int(round(n * share)) for k, share in MIX_SHARES.items()}
    counts["nearby"] += n - sum(counts.values())
    return counts


def distinct_lists(base_url, args, rng, city_table, exclude):
    """The request lists of the distinct mode, every path asked once (2xx):
    "mix" and each kind (`--distinct` paths each, by_id and second_page as
    many as the data allows), and "seq_<kind>" (`--sequential` each). No
    path is in two lists, nor among `exclude` (the rotating paths)."""
    began = time.perf_counter()
    n, s = args.distinct, args.sequential
    in_mix = mix_counts(n)
    need = {k: s + in_mix[k] + n for k in DISTINCT_KINDS}
    client = Client(base_url)
    vocab, ids, texts = gather(client, need["by_id"])
    client.close()
    gen = Generator(rng, city_table, vocab, texts)
    seen = set(exclude)
    pools = {}
    for kind in ("nearby", "keyword", "filters"):
        pools[kind] = draw(getattr(gen, kind), need[kind], seen, kind)
    ids = list(dict.fromkeys(ids))
    rng.shuffle(ids)
    pools["by_id"] = [f"/v1/groups/{i}" for i in ids[:need["by_id"]]]
    seen.update(pools["by_id"])
    log(f"  distinct: {len(ids)} ids and the texts of {len(texts)} groups listed ({len(gen.words)} words); "
        f"checking {sum(len(v) for v in pools.values())} paths")
    checked = check_all(base_url, [p for k in ("nearby", "keyword", "filters", "by_id") for p in pools[k]],
                        args.validate_workers)
    # Second pages: of the first pages just fetched that have one, then of
    # broader first pages fetched for it if that was not enough.
    firsts = [(p, checked[p][2]) for k in ("nearby", "keyword", "filters") for p in pools[k] if checked[p][2]]
    rng.shuffle(firsts)
    second = []
    extra_firsts = 0
    while True:
        for p, cursor in firsts:
            if len(second) >= need["second_page"]:
                break
            sp = p + "&cursor=" + urllib.parse.quote(cursor, safe="")
            if sp not in seen:
                seen.add(sp)
                second.append(sp)
        missing = need["second_page"] - len(second)
        if missing <= 0 or extra_firsts > 4 * need["second_page"]:
            break
        batch = draw(gen.broad, min(2 * missing + 50, 5000), seen, "first-page")
        if not batch:
            break
        extra_firsts += len(batch)
        got = check_all(base_url, batch, args.validate_workers)
        firsts = [(p, got[p][2]) for p in batch if got[p][2]]
    pools["second_page"] = second
    checked.update(check_all(base_url, second, args.validate_workers))
    lists = {"mix": []}
    for kind in DISTINCT_KINDS:
        pool = pools[kind]
        lists["seq_" + kind] = pool[:s]
        lists["mix"] += pool[s:s + in_mix[kind]]
        lists[kind] = pool[s + in_mix[kind]:s + in_mix[kind] + n]
    rng.shuffle(lists["mix"])
    info = {}
    for name, plist in lists.items():
        timings = sorted(((checked[p][0], p) for p in plist), reverse=True)
        info[name] = {"paths": len(plist), "with_results": sum(1 for p in plist if checked[p][1]),
                      "examples": plist[:3],
                      "slowest_single_ms": [[round(t, 1), p] for t, p in timings[:5]]}
    took = time.perf_counter() - began
    log(f"  distinct: {len(checked)} paths answered 2xx ({extra_firsts} more first pages fetched for second pages; "
        f"{took:.1f} s)")
    for name in DISTINCT_RUNS:
        log(f"  distinct {name}: {info[name]['paths']} paths, {info[name]['with_results']} with results")
    return lists, info, {"seconds": round(took, 1), "paths_checked": len(checked),
                         "extra_first_pages": extra_firsts, "ids_listed": len(ids), "texts": len(texts),
                         "words": len(gen.words), "languages": vocab["language"]}


def percentile(sorted_values, pct):
    """Nearest rank."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(pct / 100 * len(sorted_values)) - 1)]


def sequential(base_url, lists):
    """Each kind's `seq_` paths, one at a time on one keep-alive connection."""
    client = Client(base_url)
    out = {}
    try:
        for kind in DISTINCT_KINDS:
            plist = lists["seq_" + kind]
            if not plist:
                continue
            times = []
            for p in plist:
                start = time.perf_counter()
                status, body = client.get(p)
                times.append((time.perf_counter() - start) * 1000)
                if not 200 <= status < 300:
                    raise SystemExit(f"sequential {kind}: {p} answered {status}: {body[:300]!r}")
            times.sort()
            out[kind] = {"requests": len(times), "p50_ms": round(percentile(times, 50), 2),
                         "p95_ms": round(percentile(times, 95), 2), "p99_ms": round(percentile(times, 99), 2),
                         "max_ms": round(times[-1], 2), "mean_ms": round(statistics.mean(times), 2)}
    finally:
        client.close()
    return out


DISTINCT_LUA = r"""
-- Walks the request paths in $BENCH_PATHS (one a line) without repeating
-- one: thread t of $BENCH_THREADS takes its own slice of the list, from
-- $BENCH_OFFSET on (wrapping around the end), and stops when the slice is
-- used up, saying so on stdout (the driver then ends the run). Prints a
-- JSON summary (latencies in microseconds) after the run.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local n = #paths
local nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
local offset = tonumber(os.getenv("BENCH_OFFSET")) or 0
local created = 0
local threads = {}
function setup(thread)
  thread:set("tid", created)
  created = created + 1
  threads[#threads + 1] = thread
end
first, slice, sent, exhausted, overrun = 0, 0, 0, 0, 0
function init(args)
  slice = math.floor(n / nthreads)
  first = offset + (tid or 0) * slice
end
function request()
  if sent >= slice then
    -- Used up: stop this thread. The request returned here is not
    -- measured (the thread's loop ends before its answer is read).
    if exhausted == 0 then
      exhausted = 1
      io.write("BENCH_EXHAUSTED\n")
      io.stdout:flush()
      wrk.thread:stop()
    end
    overrun = overrun + 1
    return wrk.format("GET", "/healthz")
  end
  local p = paths[((first + sent) % n) + 1]
  sent = sent + 1
  return wrk.format("GET", p)
end
function done(summary, latency, requests)
  local e = summary.errors
  local total_sent, total_exhausted, total_overrun = 0, 0, 0
  for _, t in ipairs(threads) do
    total_sent = total_sent + (t:get("sent") or 0)
    total_exhausted = total_exhausted + (t:get("exhausted") or 0)
    total_overrun = total_overrun + (t:get("overrun") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "paths": %d, "paths_taken": %d, "exhausted_threads": %d, ' ..
    '"overrun": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, n, total_sent, total_exhausted, total_overrun))
end
"""


def wrk_distinct(base_url, script, paths_file, offset, threads, connections, seconds):
    """wrk over a list of distinct paths; ends the run (SIGINT, which makes
    wrk print its results at once) as soon as every thread has used up its
    slice, so its duration is the time the paths lasted."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, base_url]
    env = dict(os.environ, BENCH_PATHS=paths_file, BENCH_OFFSET=str(offset), BENCH_THREADS=str(threads))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done, lines = 0, []
    for ln in proc.stdout:
        if ln.startswith("BENCH_EXHAUSTED"):
            done += 1
            if done == threads and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        else:
            lines.append(ln)
    stderr = proc.stderr.read()
    rc = proc.wait()
    line = next((ln for ln in lines if ln.startswith("BENCH_JSON ")), None)
    if rc != 0 or line is None:
        raise SystemExit(f"wrk failed (exit {rc}): {''.join(lines)[-500:]} {stderr[-500:]}")
    out = json.loads(line[len("BENCH_JSON "):])
    out["rps"] = out["requests"] / (out["duration_us"] / 1e6) if out["duration_us"] else 0.0
    out["ran_out"] = done >= threads
    return out


def run_errors(out):
    bad = {k: out[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors") if out[k]}
    if out["requests"] == 0:
        bad["requests"] = 0
    return bad


def summarize(runs, ceilings):
    med = lambda k: statistics.median(r[k] for r in runs)
    pct = [r["rps"] / h["rps"] * 100 for r, h in zip(runs, ceilings) if h["rps"]]
    return {
        "rps": round(med("rps"), 1),
        "pct_of_healthz": round(statistics.median(pct), 1) if pct else None,
        "p50_ms": round(med("p50_us") / 1000, 2),
        "p95_ms": round(med("p95_us") / 1000, 2),
        "p99_ms": round(med("p99_us") / 1000, 2),
        "max_ms": round(med("max_us") / 1000, 2),
        "seconds": round(med("duration_us") / 1e6, 2),
        "requests": int(med("requests")),
        "peak_rss_mb": round(max(r["peak_rss_kb"] for r in runs) / 1024, 1),
        "timeouts": sum(r["timeouts"] for r in runs),
        "errors": sum(r["status_errors"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] for r in runs),
        "runs": [{k: (round(r[k], 1) if k == "rps" else r[k]) for k in
                  ("rps", "requests", "duration_us", "p50_us", "p95_us", "p99_us", "peak_rss_kb") + (
                      ("paths", "paths_taken", "ran_out") if "paths" in r else ())} for r in runs],
    }


def distinct_loads(server, args, lists, files, scripts, label, errors, server_log):
    """Rounds of (healthz, mix), (healthz, nearby), … — `--runs` of them;
    each list walked from another offset in each round."""
    seconds = args.distinct_duration
    per = {k: [] for k in DISTINCT_RUNS if k in files}
    ceil = {k: [] for k in per}
    for run in range(args.runs):
        parts = []
        for kind in per:
            server.reset_peak()
            h = wrk_run(server.base, scripts["rotate"], files["healthz"], args.threads, args.connections, seconds)
            h["peak_rss_kb"] = server.status()["VmHWM"]
            server.reset_peak()
            out = wrk_distinct(server.base, scripts["distinct"], files[kind], (run * len(lists[kind])) // args.runs,
                               args.threads, args.connections, seconds)
            if not server.alive():
                errors.append(f"{label} {kind}: the server exited (code {server.proc.returncode}); see {server_log}")
                raise SystemExit(errors[-1])
            st = server.status()
            out["peak_rss_kb"], out["rss_after_kb"] = st["VmHWM"], st["VmRSS"]
            for what, o in (("healthz", h), (kind, out)):
                bad = run_errors(o)
                if bad:
                    errors.append(f"{label} {what} run {run + 1}: {bad}")
            per[kind].append(out)
            ceil[kind].append(h)
            short = f" in {out['duration_us'] / 1e6:.1f} s (paths used up)" if out["ran_out"] else ""
            parts.append(f"{kind} {out['rps']:.0f}/s ({out['rps'] / h['rps'] * 100 if h['rps'] else 0:.0f} %) "
                         f"p99 {out['p99_us'] / 1000:.1f} ms{short}")
        log(f"  {label} run {run + 1}: " + ", ".join(parts))
    loads = {}
    all_h = [h for k in per for h in ceil[k]]
    loads["healthz"] = summarize(all_h, all_h)
    for kind in per:
        loads[kind] = summarize(per[kind], ceil[kind])
        loads[kind]["paths"] = len(lists[kind])
        loads[kind]["runs_out_of_paths"] = sum(1 for r in per[kind] if r["ran_out"])
    return loads


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
    result = {"seed": seed_info, "queries": {}}
    rng = random.Random(f"{args.seed}-{n}")
    paths = build_paths(rng, city_table, args.variants)
    scripts = {"rotate": os.path.join(workdir, "rotate.lua"), "distinct": os.path.join(workdir, "distinct.lua")}
    for name, text in (("rotate", LUA), ("distinct", DISTINCT_LUA)):
        with open(scripts[name], "w") as f:
            f.write(text)
    files = {"healthz": os.path.join(workdir, "healthz.paths")}
    with open(files["healthz"], "w") as f:
        f.write("/healthz\n")
    # The rotating runs go with the configured cache: on, unless the
    # environment turns it off (then on the cache-off server).
    rotating_off = os.environ.get("CIRCLES_RESPONSE_CACHE_SECONDS", "").strip() == "0"
    lists = None
    if args.distinct > 0:
        # The cache-off server first: the distinct paths are checked there,
        # so the cache-on server has never seen one before its runs.
        server = Server(url, server_log, cache_seconds=0)
        try:
            lists, info, prep = distinct_lists(server.base, args, random.Random(f"distinct-{args.seed}-{n}"),
                                               city_table, {p for v in paths.values() for p in v})
            result["distinct"] = {"lists": info, "preparation": prep, "settings": {}}
            for name in DISTINCT_RUNS:
                if len(lists[name]) >= max(args.threads, args.connections):
                    files[name] = os.path.join(workdir, f"distinct-{name}.paths")
                    with open(files[name], "w") as f:
                        f.write("\n".join(lists[name]) + "\n")
                else:
                    log(f"  distinct {name}: too few paths to load ({len(lists[name])}), left out")
            if rotating_off and args.rotating:
                rotating(server, args, paths, workdir, scripts, errors, backend, n, server_log, result)
            result["distinct"]["settings"]["off"] = distinct_setting(
                server, args, lists, files, scripts, f"{backend} {n} cache off", errors, server_log)
        except (OSError, http.client.HTTPException) as e:
            state = "running" if server.alive() else f"exited with code {server.proc.returncode}"
            raise SystemExit(f"request failed ({e}); the server is {state}; see {server_log}")
        finally:
            if server.stop():
                errors.append(f"{backend} {n}: the server had exited (code {server.proc.returncode}); see {server_log}")
    rotate_here = args.rotating and not (rotating_off and lists is not None)
    if lists is None and not rotate_here:
        return result
    server = Server(url, server_log, cache_seconds=None if rotate_here and rotating_off else args.cache_seconds)
    try:
        if rotate_here:
            rotating(server, args, paths, workdir, scripts, errors, backend, n, server_log, result)
        if lists is not None:
            result["distinct"]["settings"]["on"] = distinct_setting(
                server, args, lists, files, scripts, f"{backend} {n} cache on", errors, server_log)
    except (OSError, http.client.HTTPException) as e:
        state = "running" if server.alive() else f"exited with code {server.proc.returncode}"
        raise SystemExit(f"request failed ({e}); the server is {state}; see {server_log}")
    finally:
        if server.stop():
            errors.append(f"{backend} {n}: the server had exited (code {server.proc.returncode}); see {server_log}")
    return result


def distinct_setting(server, args, lists, files, scripts, label, errors, server_log):
    """The distinct mode on one server: sequential, then the load rounds."""
    out = {"cache_seconds": server.cache_seconds}
    if args.sequential > 0:
        start = time.perf_counter()
        out["sequential"] = sequential(server.base, lists)
        log(f"  {label} sequential ({time.perf_counter() - start:.1f} s): " + ", ".join(
            f"{k} p50 {v['p50_ms']:.1f} p99 {v['p99_ms']:.1f} ms" for k, v in out["sequential"].items()))
    out["loads"] = distinct_loads(server, args, lists, files, scripts, label, errors, server_log)
    return out


def rotating(server, args, paths, workdir, scripts, errors, backend, n, server_log, result):
    """The rotating-path runs (the response cache's hit path when it is on)."""
    result["rotating_cache_seconds"] = server.cache_seconds
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
        log(f"  rotating {name}: {v['variants']} paths{found}")
    files = {}
    for name in QUERIES:
        files[name] = os.path.join(workdir, f"{name}.paths")
        with open(files[name], "w") as f:
            f.write("\n".join(paths[name]) + "\n")
    script = scripts["rotate"]
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
            bad = run_errors(out)
            if bad:
                errors.append(f"{backend} {n} rotating {name} run {run + 1}: {bad}")
            per_run[name].append(out)
            parts.append(f"{name} {out['rps']:.0f}/s p99 {out['p99_us'] / 1000:.1f} ms")
        log(f"  rotating run {run + 1}: " + ", ".join(parts))
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


# ---------------------------------------------------------------- targets and report

def targets(results):
    """The issue's targets, each with its measured value and whether it is
    met: on distinct requests (cache off, then on) and on the rotating paths."""
    out = []

    def get(backend, n):
        return results.get(backend, {}).get(str(n))

    def distinct(setting):
        return lambda r: (r.get("distinct", {}).get("settings", {}).get(setting) or {}).get("loads")

    # (label, the loads of a result, target query -> its name there, the queries whose p50 growth counts)
    modes = [("distinct, cache off", distinct("off"), {"two_filters": "filters", "nearby": "nearby", "keyword": "keyword"},
              DISTINCT_RUNS),
             ("distinct, cache on", distinct("on"), {"two_filters": "filters", "nearby": "nearby", "keyword": "keyword"},
              DISTINCT_RUNS),
             ("rotating paths", lambda r: r.get("queries") or None,
              {"two_filters": "two_filters", "nearby": "nearby", "keyword": "keyword"}, QUERIES[1:])]
    for label, loads_of, names, growth in modes:
        for backend in results:
            r = get(backend, 100_000)
            loads = loads_of(r) if r else None
            if loads:
                for name in ("two_filters", "nearby"):
                    v = loads.get(names[name])
                    if not v or v.get("pct_of_healthz") is None:
                        continue
                    out.append({"target": f"{backend} 100k {names[name]} ({label}): ≥ 50 % of /healthz requests/s",
                                "value": v["pct_of_healthz"], "limit": 50, "unit": "%",
                                "met": v["pct_of_healthz"] >= 50})
                    out.append({"target": f"{backend} 100k {names[name]} ({label}): p99 < 10 ms",
                                "value": v["p99_ms"], "limit": 10, "unit": "ms", "met": v["p99_ms"] < 10})
        for backend in results:
            r = get(backend, 1_000_000)
            loads = loads_of(r) if r else None
            if loads and loads.get(names["keyword"]):
                v = loads[names["keyword"]]
                out.append({"target": f"{backend} 1M keyword search ({label}): p95 < 25 ms",
                            "value": v["p95_ms"], "limit": 25, "unit": "ms", "met": v["p95_ms"] < 25})
        for backend in results:
            small, big = get(backend, 10_000), get(backend, 1_000_000)
            small, big = (loads_of(small) if small else None), (loads_of(big) if big else None)
            if small and big:
                for name in growth:
                    if name not in small or name not in big:
                        continue
                    a, b = small[name]["p50_ms"], big[name]["p50_ms"]
                    g = round(b / a, 2) if a else None
                    out.append({"target": f"{backend} {name} ({label}): p50 grows < 5× from 10k to 1M",
                                "value": g, "limit": 5, "unit": "×", "met": g is not None and g < 5})
        for backend in results:
            r = get(backend, 1_000_000)
            loads = loads_of(r) if r else None
            if loads:
                peak = max(v["peak_rss_mb"] for v in loads.values())
                out.append({"target": f"{backend} 1M ({label}): server peak RSS under load < 200 MB",
                            "value": peak, "limit": 200, "unit": "MB", "met": peak < 200})
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


def fmt_pct(v):
    if v is None:
        return "–"
    return f"{v:.1f} %" if v < 10 else f"{v:.0f} %"


def markdown(report):
    lines = ["# Discovery: the main group queries under load", "",
             f"{report['machine']['cores']} cores ({report['machine']['cpu']}), {report['date']}, commit "
             f"{report['commit']}. {report['load_generator']} on the same machine, `{report['wrk_flags']}`; "
             f"medians of {report['runs']} run(s). `/healthz` is measured in the same rounds as the ceiling. "
             "Peak RSS is the server's VmHWM during each load run (reset before it)."]
    has_distinct = any("distinct" in r for sizes in report["results"].values() for r in sizes.values())
    if has_distinct:
        lines += ["", "## Distinct requests (the headline)", "",
                  f"Every request is a different one: each list holds up to {report['distinct']} realistic paths "
                  "drawn from the seeded data, none asked twice in a run (each wrk thread walks its own slice and "
                  "stops when it is used up), so the response cache never answers one. Each list is loaded for "
                  f"{report['distinct_duration_s']} s right after {report['distinct_duration_s']} s of `/healthz` "
                  "(alternating); % of /healthz is against that run. `cache off`: "
                  "`CIRCLES_RESPONSE_CACHE_SECONDS=0`; `cache on`: "
                  f"`{report['cache_seconds']}` (the default configuration). Every path answered 2xx when asked "
                  "once before the load (on the cache-off server, so the cache-on one never saw it). "
                  "A req/s marked † ran out of paths before the end of a run: it is over the time the paths lasted "
                  "(column s).", "",
                  "| backend | groups | request | cache | paths | req/s | % of /healthz | p50 ms | p95 ms | p99 ms "
                  "| s | peak RSS MB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for backend, sizes in report["results"].items():
            for n, r in sizes.items():
                for setting in ("off", "on"):
                    st = r.get("distinct", {}).get("settings", {}).get(setting)
                    if not st:
                        continue
                    for name in ["healthz"] + DISTINCT_RUNS:
                        v = st["loads"].get(name)
                        if not v:
                            continue
                        mark = " †" if v.get("runs_out_of_paths") else ""
                        lines.append(f"| {backend} | {size_label(n)} | {name} | {setting} | {v.get('paths', '–')} | "
                                     f"{v['rps']:.0f}{mark} | {fmt_pct(v['pct_of_healthz'])} | {v['p50_ms']:.2f} | "
                                     f"{v['p95_ms']:.2f} | {v['p99_ms']:.2f} | {v['seconds']:.1f} | "
                                     f"{v['peak_rss_mb']:.0f} |")
        lines += ["", "Requests:", ""] + [f"- `{k}`: {v}" for k, v in DISTINCT_DESCRIPTIONS.items()]
        seq_rows = []
        for backend, sizes in report["results"].items():
            for n, r in sizes.items():
                for setting in ("off", "on"):
                    st = r.get("distinct", {}).get("settings", {}).get(setting) or {}
                    for name, v in (st.get("sequential") or {}).items():
                        seq_rows.append(f"| {backend} | {size_label(n)} | {name} | {setting} | {v['requests']} | "
                                        f"{v['p50_ms']:.2f} | {v['p95_ms']:.2f} | {v['p99_ms']:.2f} |")
        if seq_rows:
            lines += ["", "### Sequential (one connection, one request at a time)", "",
                      f"{report['sequential']} other distinct paths per kind, asked one after another on one "
                      "keep-alive connection (Python's http.client), timed from sending the request to the end of "
                      "the body: what one person waits, with no other load.", "",
                      "| backend | groups | request | cache | requests | p50 ms | p95 ms | p99 ms |",
                      "|---|---|---|---|---|---|---|---|"] + seq_rows
    rot = [(backend, n, r) for backend, sizes in report["results"].items() for n, r in sizes.items() if r.get("queries")]
    if rot:
        cached = any(r.get("rotating_cache_seconds", 5) for _, _, r in rot)
        title = ("Rotating paths (the response cache's hit path)" if cached
                 else "Rotating paths (response cache off)")
        lines += ["", f"## {title}", "",
                  f"The earlier benchmark, kept for comparison: each query rotates through ~{report['variants']} "
                  f"request paths, `{report['rotating_wrk_flags']}`, each run right after a warm-up of the same "
                  f"query (every path asked once, then {report['warmup_s']} s of load)"
                  + ("; with the response cache on, nearly every answer after the warm-up comes from the cache, "
                     "so these numbers describe the cache, not the queries."
                     if cached else "; the response cache was off (CIRCLES_RESPONSE_CACHE_SECONDS=0)."), "",
                  "| backend | groups | query | req/s | % of /healthz | p50 ms | p95 ms | p99 ms | peak RSS MB |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for backend, n, r in rot:
            for name in QUERIES:
                v = r["queries"][name]
                lines.append(f"| {backend} | {size_label(n)} | {name} | {v['rps']:.0f} | {fmt_pct(v['pct_of_healthz'])} | "
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
            prep = r.get("distinct", {}).get("preparation")
            if prep:
                seeds.append(f"  - distinct paths: {prep['paths_checked']} checked in {prep['seconds']} s; keywords "
                             f"from the texts of {prep['texts']} groups ({prep['words']} words); languages "
                             f"{', '.join(prep['languages'])}")
    lines += ["", "## Data", "", f"`circles seed --synthetic N --seed {report['seed']}`:", ""] + seeds
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="SQLite sizes (groups)")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg-sizes", default="100000", help="PostgreSQL sizes (groups)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per load run")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load of a query right before each of its rotating runs")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (1 leaves a core to the server on 2 cores)")
    ap.add_argument("--connections", type=int, default=8, help="wrk connections")
    ap.add_argument("--variants", type=int, default=200, help="request paths per query")
    ap.add_argument("--depth", type=int, default=50, help="pages walked by cursor for deep_page")
    ap.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    env_cache = os.environ.get("CIRCLES_RESPONSE_CACHE_SECONDS", "").strip()
    ap.add_argument("--distinct", type=int, default=20000,
                    help="distinct request paths per list (the mix, each kind alone); 0 leaves the mode out")
    ap.add_argument("--distinct-duration", type=int, default=None,
                    help="seconds per distinct load run and its /healthz run (default: --duration)")
    ap.add_argument("--sequential", type=int, default=500,
                    help="requests per kind asked one at a time on one connection; 0 leaves it out")
    ap.add_argument("--cache-seconds", type=int,
                    default=int(env_cache) if env_cache.isdigit() and int(env_cache) > 0 else 5,
                    help="CIRCLES_RESPONSE_CACHE_SECONDS of the cache-on server (the off one has 0)")
    ap.add_argument("--validate-workers", type=int, default=4,
                    help="connections that ask every distinct path once before the load")
    ap.add_argument("--no-rotating", dest="rotating", action="store_false",
                    help="leave out the rotating-path runs (the response cache's hit path)")
    ap.add_argument("--smoke", action="store_true",
                    help="CI: 10k groups on SQLite, 3 s runs (2 s distinct), one run, 2000 distinct paths per "
                         "list, 100 sequential requests per kind, results in target/bench/")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default=None, help="directory of discovery.{json,md}")
    args = ap.parse_args()
    if args.smoke:
        args.sizes, args.backends, args.duration, args.warmup, args.runs = "10000", "sqlite", 3, 1, 1
        args.distinct, args.distinct_duration, args.sequential = min(args.distinct, 2000), 2, min(args.sequential, 100)
    if args.distinct_duration is None:
        args.distinct_duration = args.duration
    if args.cache_seconds <= 0:
        raise SystemExit("--cache-seconds must be at least 1 (the cache-off runs are always made)")
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
        "wrk_flags": f"-t{args.threads} -c{args.connections} -d{args.distinct_duration}s",
        "rotating_wrk_flags": f"-t{args.threads} -c{args.connections} -d{args.duration}s",
        "threads": args.threads, "connections": args.connections, "duration_s": args.duration,
        "distinct_duration_s": args.distinct_duration, "distinct": args.distinct, "sequential": args.sequential,
        "cache_seconds": args.cache_seconds, "mix_shares": MIX_SHARES,
        "warmup_s": args.warmup, "runs": args.runs, "variants": args.variants, "depth": args.depth,
        "seed": args.seed, "smoke": args.smoke, "queries": DESCRIPTIONS,
        "distinct_requests": DISTINCT_DESCRIPTIONS,
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
