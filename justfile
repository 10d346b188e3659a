# Siyu: the recipes CI and developers share. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Start the suite in one process on embedded backends (SQLite, in-memory cache and bus).
run:
    cargo run --release --bin siyu -- dev

# Run every test against the local PostgreSQL, Redis and NATS (starting them if needed).
test *args:
    bash scripts/test.sh {{args}}

# Formatting, clippy -D warnings, buf lint (default rules) and a protoc compile of the contracts.
lint:
    bash scripts/lint.sh

# Apply every service's migrations to the databases its configuration names.
migrate:
    #!/usr/bin/env bash
    set -euo pipefail
    shopt -s nullglob
    bins=(services/*/src/main.rs)
    ran=0
    for main in "${bins[@]}"; do
      svc=$(basename "$(dirname "$(dirname "$main")")")
      [ "$svc" = platform ] && continue
      cargo run --quiet --bin "siyu-$svc" -- migrate
      ran=1
    done
    [ "$ran" = 1 ] || echo "migrate: no service with migrations yet"

# Drop and recreate the local development databases (siyu_<svc>), then migrate them.
db-reset:
    #!/usr/bin/env bash
    set -euo pipefail
    for svc in identity membership catalog orders content; do
      psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS siyu_$svc WITH (FORCE)"
      psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE siyu_$svc"
    done
    just migrate

# Run the benchmark scenarios in release mode; results go to target/bench/*.json.
bench *args:
    mkdir -p target/bench
    cargo run --release -p loadgen -- suite grpc-echo pg-insert --json target/bench/suite.json {{args}}

# Fuzz the gateway's OpenAPI document with Schemathesis against `siyu dev`, on embedded
# backends and on PostgreSQL + Redis + NATS (`just fuzz embedded|postgres|all`). Bounded:
# FUZZ_MAX_TIME seconds per surface (default 60), FUZZ_EXAMPLES per operation (default 10).
fuzz *args:
    bash scripts/fuzz.sh {{args}}

# Everything CI runs, in the order it runs it.
ci:
    bash .ci/run
