#!/usr/bin/env bash
# Runs the whole test suite against the local PostgreSQL, Redis and NATS.
# Needs only the Rust toolchain (cargo-nextest is used when present, cargo test otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh

if cargo nextest --version >/dev/null 2>&1; then
  profile=default
  if [ "${CI:-}" = "true" ]; then profile=ci; fi
  cargo nextest run --workspace --profile "$profile" "$@"
  # nextest does not run doctests.
  cargo test --workspace --doc --quiet
else
  cargo test --workspace "$@"
fi
