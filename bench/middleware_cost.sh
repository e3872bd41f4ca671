#!/usr/bin/env bash
# What the read rate limit costs on the hot paths: the same release binary
# with CIRCLES_RATE_READS_PER_MINUTE=0 (off) and =1000000000 (counts, never
# refuses), three alternating rounds of `wrk -t1 -c8 -d4s` on /healthz and on
# one cached search, each on a fresh copy of a seeded SQLite database. Take
# the medians. Usage (after `bench/discovery --smoke` has seeded 10k groups):
#
#   bash bench/middleware_cost.sh [target/release/circles] [target/bench/discovery-sqlite-10000-1.db]
set -euo pipefail
BIN=${1:-target/release/circles}
SRC=${2:-target/bench/discovery-sqlite-10000-1.db}
PORT=${PORT:-18700}
for round in 1 2 3; do
    for rate in 0 1000000000; do
        d=$(mktemp -d)
        cp "$SRC" "$d/c.db"
        DATABASE_URL=$d/c.db CIRCLES_DATA_DIR=$d CIRCLES_PORT=$PORT \
            CIRCLES_JWT_SECRET=bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
            CIRCLES_RATE_READS_PER_MINUTE=$rate RUST_LOG=error "$BIN" serve >/dev/null 2>&1 &
        pid=$!
        sleep 2
        h=$(wrk -t1 -c8 -d4s "http://127.0.0.1:$PORT/healthz" | awk '/Requests\/sec/{print $2}')
        c=$(wrk -t1 -c8 -d4s "http://127.0.0.1:$PORT/v1/groups?topic=grief&format=online" | awk '/Requests\/sec/{print $2}')
        echo "round=$round reads_limit=$rate healthz=$h cached_search=$c"
        kill $pid
        wait $pid 2>/dev/null || true
        rm -rf "$d"
    done
done
