#!/usr/bin/env bash
# `make bench`: engine benchmarks (pytest-benchmark) and HTTP benchmarks (wrk); each writes its own
# section of bench/RESULTS.md. Knobs: BENCH_DURATION (10s), BENCH_WARMUP (2s), BENCH_ROUNDS (2),
# BENCH_CONNECTIONS (64), BENCH_THREADS (1), BENCH_CHECKOUT_CONCURRENCY (16,64), BENCH_STARTUP_RUNS (7),
# BENCH_CATALOG_SIZES (1000,10000,100000), BENCH_MIXED_DURATION (60s),
# DATABASE_URL (else an embedded PostgreSQL), BENCH_STRICT=1.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python

if [[ ! -x $PY ]]; then
    echo "bench: $PY not found; run \`make install\` first" >&2
    exit 1
fi

if ! command -v wrk >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: wrk not found; installing it with apt-get" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    else
        echo "bench: wrk (the HTTP load generator) is not installed and this is not a root session with apt-get." >&2
        echo "bench: install it (Debian/Ubuntu: sudo apt-get install -y wrk) and run again." >&2
        exit 1
    fi
fi
command -v wrk >/dev/null 2>&1 || { echo "bench: wrk still not found after installing it" >&2; exit 1; }

echo "bench: engine benchmarks (bench/engine) ..." >&2
"$PY" bench/engine_report.py
echo "bench: HTTP benchmark, GET /store/regions vs a bare ASGI app (${BENCH_DURATION:-10s} per run) ..." >&2
"$PY" bench/http_bench.py
echo "bench: HTTP benchmark, GET /store/products with calculated prices (demo catalog) vs a bare ASGI app ..." >&2
"$PY" bench/http_products.py
echo "bench: HTTP benchmark, GET /store/customers/me as a logged-in customer (16 connections) ..." >&2
"$PY" bench/http_customers.py
echo "bench: HTTP benchmark, cart retrieve and add-to-cart vs a one-SELECT app and a bare ASGI app ..." >&2
"$PY" bench/http_carts.py
echo "bench: HTTP benchmark, full checkout journeys (16 and 64 concurrent) vs a one-SELECT app ..." >&2
"$PY" bench/http_checkout.py
echo "bench: startup, commerce serve to /health and to the first priced page, memory fresh ..." >&2
"$PY" bench/startup.py
echo "bench: scale simulation, N app nodes x M buyers against one PostgreSQL (docs/scaling.png) ..." >&2
"$PY" bench/scale_sim.py

echo "bench: results written to $(pwd)/bench/RESULTS.md"
echo "bench: catalog at scale, 1k/10k/100k demo products (seed, start, memory, page/product/search latency) ..." >&2
"$PY" bench/catalog_scale.py
