#!/usr/bin/env bash
# Schema-based fuzzing of the gateway's OpenAPI document with Schemathesis: `siyu dev` is
# started on embedded backends (SQLite, memory) and/or on PostgreSQL + Redis + NATS, then every
# operation of each surface is fuzzed with that surface's token — public routes without one,
# /api/v1 as a consumer, /open/v1 as the demo partner, /admin/v1 as the demo tenant's admin.
#
# Checks: no 5xx, every response's content type and body as documented, documented response
# headers present. Operations of services `siyu dev` does not run yet are left out (their
# routes answer 503 by design).
#
#   bash scripts/fuzz.sh [embedded|postgres|all]     (default: all)
#
# Bounded in time: FUZZ_MAX_TIME seconds per surface (default 60), FUZZ_EXAMPLES examples per
# operation (default 10), FUZZ_SEED for a reproducible run. Reports (JUnit XML, logs) go to
# target/fuzz/<backend>/; a summary per surface to target/fuzz/summary.txt. Exits non-zero when
# any check failed.
set -euo pipefail
cd "$(dirname "$0")/.."

which_backends=${1:-all}
max_time=${FUZZ_MAX_TIME:-60}
examples=${FUZZ_EXAMPLES:-10}
seed=${FUZZ_SEED:-$RANDOM$RANDOM}
schemathesis_version=4.32.5
out=$PWD/target/fuzz
venv=$out/venv
mkdir -p "$out"
: > "$out/summary.txt"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$schemathesis_version"
fi
py="$venv/bin/python"

cargo build --quiet --bin siyu
# A copy: another build in the same target directory may relink the binary mid-run.
siyu=$out/siyu
cp target/debug/siyu "$siyu"

# The services `siyu dev` runs, from the platform's registry (one file per service).
services=$(find services/platform/src/registry -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)

pid=
scratch_databases=()
stop_suite() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}
drop_databases() {
  for db in "${scratch_databases[@]}"; do
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  done
  scratch_databases=()
}
trap 'stop_suite; drop_databases' EXIT

json_get() { # file, python expression over `d`
  "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# Starts `siyu dev` in $dir with the environment given; sets $gw and $sandbox.
start_suite() {
  local dir=$1
  shift
  rm -rf "$dir/data"
  mkdir -p "$dir"
  # Rate limits far above what the fuzzer sends: it should reach the services, not 429.
  env "$@" \
    SIYU_GATEWAY__LIMITS__PER_IP__RATE=1000000 SIYU_GATEWAY__LIMITS__PER_IP__PER_SECS=1 SIYU_GATEWAY__LIMITS__PER_IP__BURST=1000000 \
    SIYU_GATEWAY__LIMITS__PER_USER__RATE=1000000 SIYU_GATEWAY__LIMITS__PER_USER__PER_SECS=1 SIYU_GATEWAY__LIMITS__PER_USER__BURST=1000000 \
    SIYU_GATEWAY__LIMITS__PER_PARTNER__RATE=1000000 SIYU_GATEWAY__LIMITS__PER_PARTNER__PER_SECS=1 SIYU_GATEWAY__LIMITS__PER_PARTNER__BURST=1000000 \
    "$siyu" dev --data-dir "$dir/data" --any-ports >"$dir/siyu.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if grep -q 'Ctrl-C stops everything' "$dir/siyu.log"; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "fuzz: siyu dev stopped; see $dir/siyu.log" >&2
      return 1
    fi
    sleep 0.5
  done
  gw=$(sed -nE 's/^  gateway REST  (http:[^ ]+).*/\1/p' "$dir/siyu.log")
  sandbox=$(sed -nE 's#^  sandbox +(http:[^ ]+)/sandbox.*#\1#p' "$dir/siyu.log")
  [ -n "$gw" ] || { echo "fuzz: no gateway in $dir/siyu.log" >&2; return 1; }
}

# Prints a bearer token for each surface into $dir/tokens.json.
login() {
  local dir=$1 seed_file=$1/data/seed.json
  local app admin client secret code
  app=$(json_get "$seed_file" "d['app']['app_id']")
  admin=$(json_get "$seed_file" "d['tenant']['admin']['password']")
  client=$(json_get "$seed_file" "d['partner']['client_id']")
  secret=$(json_get "$seed_file" "d['partner']['client_secret']")
  scopes=$(json_get "$seed_file" "' '.join(d['partner']['scopes'])")
  code=$(curl -sf "$sandbox/sandbox/login-codes" -H 'content-type: application/json' \
    -d "{\"appid\":\"$app\",\"openid\":\"o_fuzz\"}" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["code"])')
  {
    echo '{'
    echo "\"consumer\": $(curl -sf "$gw/api/v1/auth/wechat-login" -H 'content-type: application/json' \
      -d "{\"appId\":\"$app\",\"code\":\"$code\"}" | "$py" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["tokens"]["accessToken"]))'),"
    echo "\"staff\": $(curl -sf "$gw/admin/v1/auth/login" -H 'content-type: application/json' \
      -d "{\"tenantCode\":\"demo\",\"loginName\":\"admin\",\"password\":\"$admin\"}" \
      | "$py" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]["tokens"]["accessToken"]))'),"
    echo "\"partner\": $(curl -sf "$gw/oauth/token" -u "$client:$secret" \
      --data-urlencode grant_type=client_credentials --data-urlencode "scope=$scopes" \
      | "$py" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["access_token"]))')"
    echo '}'
  } >"$dir/tokens.json"
}

# The tags (gRPC services) of packages whose service is not running, as one regex.
absent_tags() {
  local doc=$1
  "$py" - "$doc" $services <<'PY'
import json, sys
doc, running = json.load(open(sys.argv[1])), set(sys.argv[2:])
deployed_in = {"payments": "orders"}
absent = set()
for methods in doc["paths"].values():
    for op in methods.values():
        package = op["x-grpc-method"].split(".")[1]
        if deployed_in.get(package, package) not in running:
            absent.add(op["tags"][0])
print("^(" + "|".join(sorted(absent)) + ")$" if absent else "^$")
PY
}

failed=0
fuzz_backend() {
  local backend=$1
  shift
  local dir=$out/$backend
  echo "fuzz: $backend: starting siyu dev"
  start_suite "$dir" "$@"
  login "$dir"
  curl -sf "$gw/openapi.json" -o "$dir/openapi.json"
  local skip
  skip=$(absent_tags "$dir/openapi.json")
  for surface in public consumer partner staff; do
    local filter auth=()
    case $surface in
      # Filters of different kinds are combined with AND, hence a lookahead, not an exclusion.
      public) filter=(--include-path-regex '^/(?!(api|admin|open)/v1/)') ;;
      consumer) filter=(--include-path-regex '^/api/v1/') ;;
      partner) filter=(--include-path-regex '^/open/v1/') ;;
      staff) filter=(--include-path-regex '^/admin/v1/') ;;
    esac
    if [ "$surface" != public ]; then
      auth=(-H "Authorization: Bearer $(json_get "$dir/tokens.json" "d['$surface']")")
    fi
    echo "fuzz: $backend: $surface (${max_time}s, $examples examples per operation, seed $seed)"
    local status=0
    rm -rf "${dir:?}/$surface"
    # From the output directory: Schemathesis keeps a crash cache in its working directory.
    (cd "$out" && "$venv/bin/schemathesis" run "$dir/openapi.json" --url "$gw" "${auth[@]}" "${filter[@]}" \
      --exclude-tag-regex "$skip" \
      --checks not_a_server_error,content_type_conformance,response_schema_conformance,response_headers_conformance \
      --max-examples "$examples" --max-time "$max_time" --workers 1 --seed "$seed" \
      --suppress-health-check all --warnings off --no-color --generation-database none \
      --report junit --report-dir "$dir/$surface") >"$dir/$surface.log" 2>&1 || status=$?
    local tested cases
    tested=$(sed -nE 's/^  Tested: ([0-9]+).*/\1/p' "$dir/$surface.log")
    cases=$(sed -nE 's/^  ([0-9]+ generated.*)/\1/p' "$dir/$surface.log")
    # Errors are operations the tool could not test (schema it cannot load or generate from).
    junit=$(grep -ohE '<testsuites errors="[0-9]+" failures="[0-9]+"' "$dir/$surface"/*.xml 2>/dev/null \
      | sed -E 's/<testsuites //')
    echo "$backend $surface: operations ${tested:-?}; test cases: ${cases:-see $dir/$surface.log}; ${junit:-no report}; exit $status" \
      | tee -a "$out/summary.txt"
    if [ "$status" != 0 ]; then
      failed=1
      grep -E '^(_+ |[0-9]+\. |  - |Errors|FAILURES)' "$dir/$surface.log" | head -40 || true
    fi
  done
  stop_suite
}

if [ "$which_backends" = embedded ] || [ "$which_backends" = all ]; then
  fuzz_backend embedded
fi

if [ "$which_backends" = postgres ] || [ "$which_backends" = all ]; then
  bash scripts/services.sh >/dev/null
  run=fuzz$$
  pg_env=()
  for svc in $services; do
    scratch_databases+=("siyu_${run}_$svc")
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE siyu_${run}_$svc"
    upper=$(echo "$svc" | tr '[:lower:]' '[:upper:]')
    pg_env+=(
      "SIYU_${upper}__DATABASE__URL=postgres://postgres@127.0.0.1:5432/siyu_${run}_$svc"
      "SIYU_${upper}__CACHE__URL=redis://127.0.0.1:6379"
      "SIYU_${upper}__CACHE__KEY_PREFIX=$run:$svc"
      "SIYU_${upper}__BUS__URL=nats://127.0.0.1:4222"
      "SIYU_${upper}__BUS__SUBJECT_PREFIX=$run.siyu"
      "SIYU_${upper}__BUS__STREAM=${run^^}"
    )
  done
  pg_env+=(
    "SIYU_GATEWAY__CACHE__URL=redis://127.0.0.1:6379"
    "SIYU_GATEWAY__CACHE__KEY_PREFIX=$run:gateway"
  )
  fuzz_backend postgres "${pg_env[@]}"
  drop_databases
fi

echo
cat "$out/summary.txt"
exit "$failed"
