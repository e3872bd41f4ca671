#!/usr/bin/env python3
"""Issue 13, hole 2: the service keeps answering /healthz while 500 clients
hold request bodies they never finish.

Starts the service (the binary given, on a fresh SQLite database, with the
open-file soft limit at 300 as in the report), opens 500 connections that
each send `POST /v1/auth/token` with `Content-Length: 1000` and 3 bytes, then
asks for /healthz every 100 ms while they stall. Fails when a /healthz takes
longer than 1 s or fails, or when a stalled connection is still open (with no
`408`) well after the body deadline. Before the fix the stalled connections
stayed open for ever, and with 320 of them /healthz timed out for 90 s.

    python3 .ci/stalled_bodies.py target/release/circles
"""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

STALLED = 500
BODY_TIMEOUT = 6  # CIRCLES_BODY_TIMEOUT_SECONDS for this run
REQUEST = (
    b"POST /v1/auth/token HTTP/1.1\r\nHost: circles\r\n"
    b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\nabc"
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port, timeout=5.0):
    start = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as r:
            ok = r.status == 200
    except Exception as e:  # noqa: BLE001 - any failure is a failed probe
        print(f"  /healthz failed: {e}")
        ok = False
    return ok, time.monotonic() - start


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/circles"
    # This client needs a descriptor per stalled connection.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    data = tempfile.mkdtemp(prefix="circles-stalled-")
    port = free_port()
    env = dict(
        os.environ,
        CIRCLES_DATA_DIR=data,
        CIRCLES_PORT=str(port),
        CIRCLES_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
        RUST_LOG="warn",
        # Token requests are rate limited by address (10 a minute): 490 of
        # these would be refused at once, before their bodies stall.
        CIRCLES_RATE_TOKEN_PER_MINUTE="0",
    )
    env.pop("DATABASE_URL", None)

    def limit_files():
        # The report's setting: a soft limit of 300 open files.
        resource.setrlimit(resource.RLIMIT_NOFILE, (300, hard))

    server = subprocess.Popen([binary, "serve"], env=env, preexec_fn=limit_files)
    failures = []
    try:
        for _ in range(100):
            if healthz(port, 1)[0]:
                break
            time.sleep(0.2)
        else:
            sys.exit("the service did not start")
        conns = []
        for _ in range(STALLED):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(REQUEST)
            conns.append(s)
        opened = time.monotonic()
        print(f"{STALLED} stalled bodies open; probing /healthz")
        latencies = []
        while time.monotonic() - opened < BODY_TIMEOUT - 1:
            ok, took = healthz(port)
            latencies.append(took)
            if not ok or took > 1.0:
                failures.append(f"/healthz {'failed' if not ok else 'slow'} ({took:.3f} s) under stalled bodies")
            time.sleep(0.1)
        latencies.sort()
        print(f"  /healthz: {len(latencies)} probes, median {latencies[len(latencies) // 2] * 1000:.1f} ms, "
              f"max {latencies[-1] * 1000:.1f} ms")
        # Every stalled connection is answered 408 and closed after the deadline.
        time.sleep(BODY_TIMEOUT + 2 - (time.monotonic() - opened))
        answered = closed = 0
        for s in conns:
            s.settimeout(5)
            got = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        closed += 1
                        break
                    got += chunk
            except OSError:
                pass
            if got.startswith(b"HTTP/1.1 408"):
                answered += 1
            s.close()
        print(f"  stalled connections: {answered} answered 408, {closed} closed by the service")
        if answered < STALLED or closed < STALLED:
            failures.append(f"only {answered} of {STALLED} answered 408 and {closed} closed")
        ok, took = healthz(port)
        if not ok:
            failures.append("/healthz failed after the stalled bodies")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    if failures:
        for f in failures[:20]:
            print("FAIL:", f)
        sys.exit(1)
    print("ok: the service kept answering under stalled bodies")


if __name__ == "__main__":
    main()
