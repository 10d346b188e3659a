#!/usr/bin/env bash
# Formatting, clippy with warnings as errors, and the proto checks: buf lint (default rules) and a
# compile of every proto with the standard protoc, so the contracts never depend on protox quirks.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

if [ ! -x node_modules/.bin/buf ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
(cd proto && ../node_modules/.bin/buf lint)
# Every service, RPC, message, field and enum value carries a doc comment: the comment is the contract.
(cd proto && ../node_modules/.bin/buf lint --config '{"version":"v2","lint":{"use":["COMMENTS"],"ignore":["google"]}}')

if ! command -v protoc >/dev/null 2>&1; then
  echo "lint: installing protoc (Debian protobuf-compiler)"
  (apt-get install -y -qq protobuf-compiler >/dev/null 2>&1) ||
    (apt-get update -qq >/dev/null && apt-get install -y -qq protobuf-compiler >/dev/null)
fi
(cd proto && protoc -I . --descriptor_set_out=/dev/null $(find siyu -name '*.proto' | sort))
echo "lint: ok"
