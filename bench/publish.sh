#!/usr/bin/env bash
# Measures publishing and package reads: createVersion and the CLI's whole publish sequence
# (GetPackage → UpdatePackage → Createversion), timed per request by bench/publish_driver.py,
# then the CLI's GetPackage query under wrk load, anonymous and with the owner's API key. On
# PostgreSQL and on SQLite, next to the original server's published figures (quoted, not
# measured). Prints a markdown table; see bench/README.md.
#
# Knobs (environment): BENCH_BACKENDS ("postgres sqlite"), BENCH_PG_URL (an existing database to
# connect to for creating and dropping the benchmark's own, default
# postgres://postgres@127.0.0.1:5432/postgres), BENCH_ITERATIONS (timed publishes, default 200),
# BENCH_PUBLISH_WARMUP (untimed publishes first, default 10), BENCH_DURATION (each wrk run,
# default 10s), BENCH_WARMUP (default 2s), BENCH_BIN_DIR (skip the build and measure the
# datapm-registry binary in this folder), DATAPM_FIXTURES_DIR (the fixture packages, default
# ../shared/fixtures/packages beside the repository), BENCH_KEEP_DIR (copy each database's
# per-release timings.csv, wrk outputs and server log there), BENCH_PG_SYNC_COMMIT (set
# synchronous_commit for the benchmark's database, e.g. "off", to see what the commit's WAL
# flush costs; default: the server's setting). CARGO_TARGET_DIR is honoured.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LUA="$ROOT/bench/getpackage-post.lua"
DRIVER="$ROOT/bench/publish_driver.py"
BACKENDS=${BENCH_BACKENDS:-postgres sqlite}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
export BENCH_ITERATIONS=${BENCH_ITERATIONS:-200}
export BENCH_PUBLISH_WARMUP=${BENCH_PUBLISH_WARMUP:-10}
FIXTURES=${DATAPM_FIXTURES_DIR:-$ROOT/../shared/fixtures/packages}
THREADS=2
CONNECTIONS=32
# Bounds for every wait, in seconds.
START_TIMEOUT=15
STOP_TIMEOUT=15
DRIVER_TIMEOUT=900
WRK_TIMEOUT=120
PSQL_TIMEOUT=30

log() { printf '%s\n' "$*" >&2; }
die() { log "publish.sh: $*"; exit 1; }

# ---- processes and databases we started, removed on any exit ----------------------------------

RUNNING=()
WORK=""
PG_DB=""

cleanup() {
    local pid
    for pid in "${RUNNING[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${RUNNING[@]}"; do
        wait_gone "$pid" "$STOP_TIMEOUT" || kill -KILL "$pid" 2>/dev/null || true
    done
    if [[ -n "$PG_DB" ]]; then
        # The servers are gone; FORCE ends any connection left over all the same.
        timeout "$PSQL_TIMEOUT" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" \
            -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 \
            || log "warning: could not drop the benchmark database $PG_DB"
    fi
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget() {
    local pid=$1 kept=() p
    for p in "${RUNNING[@]}"; do
        [[ "$p" == "$pid" ]] || kept+=("$p")
    done
    RUNNING=("${kept[@]}")
}

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# True once $1 has exited, waiting at most $2 seconds.
wait_gone() {
    local pid=$1 deadline=$(( $(now_us) + $2 * 1000000 ))
    while kill -0 "$pid" 2>/dev/null; do
        (( $(now_us) < deadline )) || return 1
        sleep 0.02
    done
}

# SIGTERM, then SIGKILL if it has not gone within STOP_TIMEOUT.
stop_server() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
        log "warning: pid $pid ignored SIGTERM for ${STOP_TIMEOUT}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    forget "$pid"
}

# Runs a command in the background with a time limit and waits for it, so a SIGTERM or Ctrl-C
# to this script is handled at once (bash runs a trap only after a foreground command ends, but
# interrupts `wait`). Arguments: seconds, then the command.
run_bounded() {
    local limit=$1 pid
    shift
    timeout "$limit" "$@" &
    pid=$!
    RUNNING+=("$pid")
    local status=0
    wait "$pid" || status=$?
    forget "$pid"
    return "$status"
}

# ---- small helpers -----------------------------------------------------------------------------

# A loopback port nobody listens on, below the kernel's ephemeral range.
free_port() {
    local port ephemeral_low
    read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range
    (( ephemeral_low > 11000 )) || ephemeral_low=61000
    for _ in $(seq 1 50); do
        port=$(( 10000 + RANDOM % (ephemeral_low - 10000) ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free loopback port found in 50 tries"
}

thousands() { printf '%s' "$1" | sed -e ':a' -e 's/^\([0-9]\+\)\([0-9]\{3\}\)/\1,\2/' -e 'ta'; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
# User + system CPU ticks of a process (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# User + system CPU seconds of this shell's finished children; must run in this shell.
children_cpu() {
    times >"$WORK/times"
    awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } }
         END { print s }' "$WORK/times"
}

# Results, keyed "backend.NAME".
declare -A RES

# Polls GET /healthz until it answers or the process dies.
wait_healthy() {
    local pid=$1 port=$2 errlog=$3
    local deadline=$(( $(now_us) + START_TIMEOUT * 1000000 ))
    while (( $(now_us) < deadline )); do
        if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "the server (pid $pid) exited before answering /healthz; its log ends:"
            tail -n 20 "$errlog" >&2 || true
            return 1
        fi
        sleep 0.02
    done
    log "no answer on /healthz within ${START_TIMEOUT}s; the log ends:"
    tail -n 20 "$errlog" >&2 || true
    return 1
}

# Starts the registry for backend $1 with a fresh data dir; sets PID and PORT. A start that
# fails on "Address already in use" is tried again on another port, at most 3 times.
start_server() {
    local backend=$1 data="$WORK/$1/data" err="$WORK/$1/server.err" db=()
    [[ "$backend" == postgres ]] && db=(DATABASE_URL="$PG_SERVER_URL")
    for _ in 1 2 3; do
        PORT=$(free_port)
        env -u DATABASE_URL -u TYPEORM_HOST -u TYPEORM_DATABASE -u TYPEORM_PORT \
            -u TYPEORM_USERNAME -u TYPEORM_PASSWORD -u TYPEORM_SCHEMA -u JWT_KEY \
            -u STORAGE_URL -u SMTP_SERVER -u LOG_FORMAT \
            PORT="$PORT" LISTEN_ADDRESS=127.0.0.1 REGISTRY_URL="http://127.0.0.1:$PORT" \
            DATAPM_DATA_DIR="$data" ACTIVITY_LOG=false RUST_LOG=warn "${db[@]}" \
            "$REGISTRY_BIN" serve >>"$WORK/$backend/server.out" 2>>"$err" &
        PID=$!
        RUNNING+=("$PID")
        if wait_healthy "$PID" "$PORT" "$err"; then
            return 0
        fi
        stop_server "$PID"
        tail -n 3 "$err" | grep -q "Address already in use" || die "the registry ($backend) did not start"
        log "port $PORT was taken before the registry bound it; trying another"
    done
    die "the registry did not start: three ports in a row were taken"
}

# One wrk run of the GetPackage query after a warm-up; stores its figures under "backend.name".
# Arguments: backend, name, package slug, API key ("" for anonymous), expect canonical (0/1).
wrk_run() {
    local backend=$1 name=$2 slug=$3 key=$4 canonical=$5
    local url="http://127.0.0.1:$PORT/graphql" out="$WORK/$backend/$name.wrk"
    local ticks0 ticks1 wrk0 wrk1 requests seconds hz text bad errors
    export WRK_BODY_FILE="$WORK/$backend/getpackage-$slug.json" WRK_API_KEY="$key"
    export WRK_EXPECT_CANONICAL="$canonical"
    run_bounded "$WRK_TIMEOUT" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$LUA" "$url" \
        >"$out.warmup" || die "wrk (warm-up) failed: $(tail -n 3 "$out.warmup")"
    ticks0=$(cpu_ticks "$PID")
    children_cpu >"$WORK/wrk0"
    run_bounded "$WRK_TIMEOUT" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -s "$LUA" "$url" >"$out" || die "wrk failed: $(tail -n 3 "$out")"
    ticks1=$(cpu_ticks "$PID")
    children_cpu >"$WORK/wrk1"
    wrk0=$(<"$WORK/wrk0")
    wrk1=$(<"$WORK/wrk1")
    text=$(<"$out")
    log "    ${text//$'\n'/$'\n    '}"

    requests=$(awk '$2 == "requests" && $3 == "in" { print $1 }' <<<"$text")
    seconds=$(awk '$2 == "requests" && $3 == "in" { sub(/s,$/, "", $4); print $4 }' <<<"$text")
    bad=$(awk '$1 == "bad" && $2 == "answers:" { print $3 }' <<<"$text")
    [[ -n "$requests" && -n "$bad" ]] || die "could not read wrk's output for $backend $name"
    # Answers that were not 200 are among the script's bad answers; add the socket errors.
    errors=$(awk '/^ *Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
                  END { print n + 0 }' <<<"$text")
    hz=$(getconf CLK_TCK)
    RES[$backend.$name.rps]=$(awk '$1 == "Requests/sec:" { printf "%.0f", $2 }' <<<"$text")
    RES[$backend.$name.p50]=$(awk '$1 == "50%" { print $2 }' <<<"$text")
    RES[$backend.$name.p99]=$(awk '$1 == "99%" { print $2 }' <<<"$text")
    RES[$backend.$name.failed]=$(( errors + bad ))
    RES[$backend.$name.cpu]=$(awk -v t=$(( ticks1 - ticks0 )) -v hz="$hz" -v n="$requests" \
        'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
    RES[$backend.$name.cores]=$(awk -v t=$(( ticks1 - ticks0 )) -v hz="$hz" -v a="$wrk0" \
        -v b="$wrk1" -v s="$seconds" 'BEGIN { printf "%.2f / %.2f", t / hz / s, (b - a) / s }')
    log "  $backend $name: $requests requests in ${seconds}s, $bad bad answers, $errors socket errors;" \
        "CPU cores used, server / wrk: ${RES[$backend.$name.cores]}"
}

# Everything for one backend: start, publish, load, stop.
measure() {
    local backend=$1 line name value
    mkdir -p "$WORK/$backend"
    log "$backend: starting the registry"
    start_server "$backend"
    log "$backend: publishing orders-large $BENCH_PUBLISH_WARMUP + $BENCH_ITERATIONS times"
    run_bounded "$DRIVER_TIMEOUT" python3 "$DRIVER" "http://127.0.0.1:$PORT" "$FIXTURES" \
        "$WORK/$backend" || die "the publish driver failed on $backend (server log: $(tail -n 5 "$WORK/$backend/server.err"))"
    while IFS= read -r line; do
        [[ "$line" =~ ^([A-Z0-9_]+)=\'?([A-Za-z0-9+/=_.-]*)\'?$ ]] || die "bad driver line: $line"
        name=${BASH_REMATCH[1]}
        value=${BASH_REMATCH[2]}
        RES[$backend.$name]=$value
    done <"$WORK/$backend/results.env"

    log "$backend: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up)"
    wrk_run "$backend" anon sensor-readings "" 0
    wrk_run "$backend" key sensor-readings "${RES[$backend.API_KEY]}" 1
    wrk_run "$backend" many orders-large "" 0
    if grep -qiE 'error|panic' "$WORK/$backend/server.err"; then
        log "warning: the $backend server logged errors:"
        grep -iE 'error|panic' "$WORK/$backend/server.err" | tail -n 5 >&2
    fi
    stop_server "$PID"
    if [[ -n "${BENCH_KEEP_DIR:-}" ]]; then
        mkdir -p "$BENCH_KEEP_DIR/$backend"
        cp -- "$WORK/$backend"/{timings.csv,*.wrk,server.err} "$BENCH_KEEP_DIR/$backend/"
    fi
    RES[$backend.ran]=1
}

# ---- main --------------------------------------------------------------------------------------

command -v wrk >/dev/null || die "wrk is not installed; install it with: apt-get install wrk"
command -v curl >/dev/null || die "curl is not installed; install it with: apt-get install curl"
command -v python3 >/dev/null || die "python3 is not installed"
[[ -f "$LUA" && -f "$DRIVER" ]] || die "missing $LUA or $DRIVER"
[[ -f "$FIXTURES/orders-large/orders-large-1.0.0.datapm.json" ]] \
    || die "fixture packages not found in $FIXTURES (set DATAPM_FIXTURES_DIR)"
for backend in $BACKENDS; do
    [[ "$backend" == postgres || "$backend" == sqlite ]] || die "unknown backend $backend"
done

if [[ " $BACKENDS " == *" postgres "* ]]; then
    command -v psql >/dev/null || die "psql is not installed; install it with: apt-get install postgresql-client"
    # Only a server on this machine: the load goes to 127.0.0.1 and nowhere else.
    [[ "$PG_URL" =~ ^postgres(ql)?://[^@/]*@(127\.0\.0\.1|localhost)(:[0-9]+)?/[A-Za-z0-9_]+$ ]] \
        || die "BENCH_PG_URL must be postgres://USER[:PASSWORD]@127.0.0.1[:PORT]/DATABASE"
    timeout "$PSQL_TIMEOUT" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" -c 'SELECT 1' >/dev/null \
        || die "cannot connect to PostgreSQL at BENCH_PG_URL"
fi

if [[ -n "${BENCH_BIN_DIR:-}" ]]; then
    BIN_DIR=$BENCH_BIN_DIR
    log "measuring the prebuilt binary in $BIN_DIR"
else
    log "building (dist profile): datapm-registry"
    (cd "$ROOT" && cargo build --profile dist --quiet --bin datapm-registry) \
        || die "cargo build --profile dist failed"
    BIN_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/dist"
fi
REGISTRY_BIN="$BIN_DIR/datapm-registry"
[[ -x "$REGISTRY_BIN" ]] || die "binary not found: $REGISTRY_BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/datapm-bench-publish.XXXXXX")
read -r LOAD1 LOAD5 LOAD15 _ < /proc/loadavg
if awk -v l="$LOAD1" 'BEGIN { exit !(l > 0.5) }'; then
    log "warning: load average is $LOAD1 before starting; other work will skew the figures"
fi

for backend in $BACKENDS; do
    if [[ "$backend" == postgres ]]; then
        PG_DB="datapm_bench_$$_$RANDOM"
        timeout "$PSQL_TIMEOUT" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" \
            -c "CREATE DATABASE \"$PG_DB\"" >/dev/null || die "could not create database $PG_DB"
        if [[ -n "${BENCH_PG_SYNC_COMMIT:-}" ]]; then
            [[ "$BENCH_PG_SYNC_COMMIT" =~ ^(on|off|local|remote_write|remote_apply)$ ]] \
                || die "BENCH_PG_SYNC_COMMIT must be on, off, local, remote_write or remote_apply"
            timeout "$PSQL_TIMEOUT" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" \
                -c "ALTER DATABASE \"$PG_DB\" SET synchronous_commit = $BENCH_PG_SYNC_COMMIT" \
                >/dev/null || die "could not set synchronous_commit on $PG_DB"
        fi
        PG_SERVER_URL="${PG_URL%/*}/$PG_DB"
        log "postgres: fresh database $PG_DB"
    fi
    measure "$backend"
    if [[ "$backend" == postgres ]]; then
        if timeout "$PSQL_TIMEOUT" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" \
            -c "DROP DATABASE \"$PG_DB\" WITH (FORCE)" >/dev/null; then
            PG_DB=""
        else
            log "warning: could not drop $PG_DB now; trying again at exit"
        fi
    fi
done

# ---- the table ---------------------------------------------------------------------------------

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || COMMIT="$COMMIT (with uncommitted changes)"
CPU_MODEL=$(awk -F': ' '$1 ~ /^model name/ { print $2; exit }' /proc/cpuinfo)
PG_VERSION="not used"
if [[ " $BACKENDS " == *" postgres "* ]]; then
    # The settings that decide what a commit costs, as the benchmark's database had them.
    PG_VERSION=$(timeout "$PSQL_TIMEOUT" psql -X -At "$PG_URL" -c "SELECT
        split_part(current_setting('server_version'), ' ', 1) || ' (synchronous_commit '
        || coalesce(nullif('${BENCH_PG_SYNC_COMMIT:-}', ''), current_setting('synchronous_commit'))
        || ', fsync ' || current_setting('fsync') || ', ssl ' || current_setting('ssl') || ')'" \
        2>/dev/null || echo "unknown")
fi

# A figure of backend $1, or "not run".
r() { if [[ -n "${RES[$1.ran]:-}" ]]; then printf '%s' "${RES[$1.$2]}"; else printf 'not run'; fi; }
ran() { [[ -n "${RES[$1.ran]:-}" ]]; }
# "✓" or "✗ misses" for a figure below (lt) or at least (ge) a target.
verdict() {
    if awk -v v="$2" -v t="$3" -v op="$1" 'BEGIN { exit !((op == "lt") ? v < t : v >= t) }'
    then echo "✓"; else echo "✗ misses"; fi
}
ms() { printf '%s ms' "$(r "$1" "$2")"; }
# Latency cell: p50 (p90 / p99) of a driver figure, with a verdict against a ms target.
lat() {
    local b=$1 n=$2 target=${3:-}
    ran "$b" || { echo "not run"; return; }
    printf '%s ms (p90 %s, p99 %s)' "${RES[$b.${n}_P50]}" "${RES[$b.${n}_P90]}" "${RES[$b.${n}_P99]}"
    [[ -z "$target" ]] || printf ' %s' "$(verdict lt "${RES[$b.${n}_P50]}" "$target")"
}
rps() {
    local b=$1 n=$2 failed
    ran "$b" || { echo "not run"; return; }
    failed=${RES[$b.$n.failed]}
    printf '%s req/s' "$(thousands "${RES[$b.$n.rps]}")"
    [[ "$failed" == 0 ]] || printf ' (%s failed)' "$failed"
    printf ' %s' "$(verdict ge "${RES[$b.$n.rps]}" 3000)"
}
wlat() { ran "$1" && printf '%s / %s' "${RES[$1.$2.p50]}" "${RES[$1.$2.p99]}" || echo "not run"; }
cpu() { ran "$1" && printf '%s µs; %s' "${RES[$1.$2.cpu]}" "${RES[$1.$2.cores]}" || echo "not run"; }
answer() {
    ran "$1" || { echo "not run"; return; }
    local p="ANSWER_$2" canonical=null
    [[ "${RES[$1.${p}_CANONICAL]}" == 0 ]] || canonical=$(kib "${RES[$1.${p}_CANONICAL]}")
    printf '%s: packageFile %s, canonicalPackageFile %s; versions: %s' \
        "$(kib "${RES[$1.${p}_SIZE]}")" "$(kib "${RES[$1.${p}_FILE]}")" "$canonical" \
        "${RES[$1.${p}_VERSIONS]}"
}
first() { ran "$1" && printf '%s ms (CreatePackage %s ms, Createversion %s ms)' \
    "${RES[$1.FIRST_SEQUENCE]}" "${RES[$1.FIRST_CREATE_PACKAGE]}" "${RES[$1.FIRST_CREATE_VERSION]}" \
    || echo "not run"; }
getgrowth() { ran "$1" && printf '%s ms → %s ms' "${RES[$1.GET_FIRST20_P50]}" \
    "${RES[$1.GET_LAST20_P50]}" || echo "not run"; }
any=$(for b in $BACKENDS; do echo "$b"; break; done)
N=$BENCH_ITERATIONS
VERSIONS_LAST=$(( BENCH_PUBLISH_WARMUP + N + 1 ))

cat <<EOF
Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $COMMIT on $(nproc) × $CPU_MODEL
($(python3 --version 2>&1); $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2); PostgreSQL $PG_VERSION);
load average when the run started: $LOAD1 $LOAD5 $LOAD15.

| measure | datapm-registry (PostgreSQL) | datapm-registry (SQLite) | original (published, PostgreSQL) | target |
| --- | --- | --- | --- | --- |
| \`createVersion\` round trip, p50 (p90, p99), $N patch releases of orders-large | $(lat postgres CREATE_VERSION 10) | $(lat sqlite CREATE_VERSION 10) | 57 ms | < 10 ms p50 |
| whole publish sequence GetPackage → UpdatePackage → Createversion, p50 (p90, p99) | $(lat postgres SEQUENCE 20) | $(lat sqlite SEQUENCE 20) | 143 ms | < 20 ms p50 |
| … of which GetPackage, p50 (p90, p99) | $(lat postgres GET) | $(lat sqlite GET) | — | — |
| … of which UpdatePackage, p50 (p90, p99) | $(lat postgres UPDATE) | $(lat sqlite UPDATE) | — | — |
| GetPackage p50 as versions pile up: first 20 → last 20 timed publishes | $(getgrowth postgres) | $(getgrowth sqlite) | — | — |
| first publish (GetPackage → CreatePackage → Createversion 1.0.0), one sample | $(first postgres) | $(first sqlite) | — | — |
| anonymous \`package\` (GetPackage) throughput, $CONNECTIONS connections, sensor-readings (1 version) | $(rps postgres anon) | $(rps sqlite anon) | 79 req/s | ≥ 3,000 req/s |
| … latency p50 / p99 | $(wlat postgres anon) | $(wlat sqlite anon) | 387 ms / not published | reported |
| … what each answer carries | $(answer postgres SENSOR_ANON) | $(answer sqlite SENSOR_ANON) | — | two package files |
| GetPackage with the owner's API key (both files), $CONNECTIONS connections, sensor-readings | $(rps postgres key) | $(rps sqlite key) | 79 req/s (variant not stated) | ≥ 3,000 req/s |
| … latency p50 / p99 | $(wlat postgres key) | $(wlat sqlite key) | 387 ms / not published | reported |
| … what each answer carries | $(answer postgres SENSOR_KEY) | $(answer sqlite SENSOR_KEY) | — | two package files |
| anonymous GetPackage of orders-large after the publishes ($VERSIONS_LAST versions), $CONNECTIONS connections | $(rps postgres many) | $(rps sqlite many) | — | — |
| … latency p50 / p99; answer | $(wlat postgres many); $(answer postgres ORDERS_ANON) | $(wlat sqlite many); $(answer sqlite ORDERS_ANON) | — | — |
| server CPU per GetPackage (user + system); cores busy, server / wrk: anonymous · with key · $VERSIONS_LAST versions | $(cpu postgres anon) · $(cpu postgres key) · $(cpu postgres many) | $(cpu sqlite anon) · $(cpu sqlite key) · $(cpu sqlite many) | — | — |
| the driver's own floor: \`registryStatus\` round trip p50 (p90, p99) | $(lat postgres FLOOR) | $(lat sqlite FLOOR) | — | — |

The "original (published, PostgreSQL)" column is quoted from the original server's published figures; it was not measured in this run.
Publish timings are client-side (bench/publish_driver.py, Python 3, one keep-alive connection to 127.0.0.1), around each HTTP round trip only; the packageFile sent was $(kib "$(r "$any" SENT_BYTES)") of JSON.
EOF
