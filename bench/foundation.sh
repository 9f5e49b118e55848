#!/usr/bin/env bash
# Measures the server foundation: start-up time, memory and registryStatus throughput of
# datapm-registry, next to a bare async-graphql server (the ceiling) measured in the same run and
# the original Node server's published figures. Prints a markdown table; see bench/README.md.
#
# Knobs (environment): BENCH_DURATION (wrk run, default 10s), BENCH_WARMUP (default 2s),
# BENCH_START_RUNS (launches per start-up row, default 5), BENCH_BIN_DIR (skip the build and
# measure the binaries in this folder, laid out as target/release: `datapm-registry` and
# `examples/bare_graphql`; for comparing builds). CARGO_TARGET_DIR is honoured.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LUA="$ROOT/bench/graphql-post.lua"
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
START_RUNS=${BENCH_START_RUNS:-5}
THREADS=2
CONNECTIONS=32
# Bounds for every wait, in seconds.
START_TIMEOUT=15
STOP_TIMEOUT=15
IDLE_SETTLE=1
# Must match the body in graphql-post.lua; used for the correctness check before each load run.
QUERY='{"query":"{ registryStatus { status version registryUrl } }"}'
REGISTRY_URL_VALUE=http://localhost:4000
# 20 MB (SI) expressed in the kB (KiB) /proc reports.
IDLE_RSS_TARGET_KB=19531

log() { printf '%s\n' "$*" >&2; }
die() { log "foundation.sh: $*"; exit 1; }

# ---- processes we started, stopped on any exit -------------------------------------------------

RUNNING=()
WORK=""

cleanup() {
    local pid
    for pid in "${RUNNING[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${RUNNING[@]}"; do
        wait_gone "$pid" "$STOP_TIMEOUT" || kill -KILL "$pid" 2>/dev/null || true
    done
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

# ---- small helpers -----------------------------------------------------------------------------

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# A loopback port nobody listens on, below the kernel's ephemeral range, so that no client
# socket of ours (wrk, curl) holds it either.
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

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
min_max() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
thousands() { printf '%s' "$1" | sed -e ':a' -e 's/^\([0-9]\+\)\([0-9]\{3\}\)/\1,\2/' -e 'ta'; }
mib() { awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# User + system CPU ticks of a process (fields 14 and 15 of /proc/PID/stat, counted after the
# command name, which may hold spaces).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# User + system CPU seconds of this shell's finished children (the second line of `times`).
# `times` must run in this shell, not in $(...), whose own children would be counted instead.
children_cpu() {
    times >"$WORK/times"
    awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } }
         END { print s }' "$WORK/times"
}

# Polls GET /healthz (every ~5 ms plus curl's own start) until it answers or the process dies.
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
        sleep 0.005
    done
    log "no answer on /healthz within ${START_TIMEOUT}s; the log ends:"
    tail -n 20 "$errlog" >&2 || true
    return 1
}

# ---- starting the two servers ------------------------------------------------------------------

# Sets PID. Arguments: name, port, data dir, then extra VAR=value settings for the registry.
launch() {
    local name=$1 port=$2 data=$3
    shift 3
    local out="$WORK/$name.out" err="$WORK/$name.err"
    case "$name" in
        registry*)
            env -u DATABASE_URL -u TYPEORM_HOST -u TYPEORM_DATABASE -u RUST_LOG -u JWT_KEY \
                -u STORAGE_URL -u SMTP_SERVER \
                PORT="$port" LISTEN_ADDRESS=127.0.0.1 REGISTRY_URL="$REGISTRY_URL_VALUE" \
                DATAPM_DATA_DIR="$data" "$@" "$REGISTRY_BIN" serve >>"$out" 2>>"$err" &
            ;;
        bare*)
            env REGISTRY_URL="$REGISTRY_URL_VALUE" "$BARE_BIN" "$port" >>"$out" 2>>"$err" &
            ;;
        *) die "unknown server $name" ;;
    esac
    PID=$!
    RUNNING+=("$PID")
}

# Launches and waits for /healthz; sets PID, PORT and MS (milliseconds from launch to the first
# answer). Another process may take the chosen port before the server binds it, so a start that
# fails on "Address already in use" is tried again on another port, at most 3 times.
# (Globals rather than $(...), so every server is started by the shell whose trap stops it.)
start_server() {
    local name=$1 data=$2
    shift 2
    local t0 t1 errlog="$WORK/$name.err"
    for _ in 1 2 3; do
        PORT=$(free_port)
        t0=$(now_us)
        launch "$name" "$PORT" "$data" "$@"
        if wait_healthy "$PID" "$PORT" "$errlog"; then
            t1=$(now_us)
            MS=$(( (t1 - t0 + 500) / 1000 ))
            return 0
        fi
        stop_server "$PID"
        tail -n 3 "$errlog" | grep -q "Address already in use" || die "$name did not start"
        log "port $PORT was taken before $name bound it; trying another"
    done
    die "$name did not start: three ports in a row were taken"
}

# Sets MS like start_server, and stops the server again.
time_start() {
    start_server "$1" "$2"
    stop_server "$PID"
}

# Launches $START_RUNS times; sets ROW to "median ms (min–max)".
start_row() {
    local name=$1 data_kind=$2 i data times=()
    for i in $(seq 1 "$START_RUNS"); do
        case "$data_kind" in
            fresh) data="$WORK/$name-fresh-$i" ;;
            existing) data="$WORK/$name-existing" ;;
            none) data="" ;;
        esac
        time_start "$name" "$data"
        times+=("$MS")
    done
    log "  $name ($data_kind data dir) start-up ms: ${times[*]}"
    ROW="$(printf '%s\n' "${times[@]}" | median) ms ($(printf '%s\n' "${times[@]}" | min_max))"
}

# ---- load --------------------------------------------------------------------------------------

# Runs wrk against $2 for $3 (extra wrk options after), output to file $1. It runs in the
# background and is waited for, so a SIGTERM or Ctrl-C to this script stops it at once (bash
# runs a trap only after the foreground command ends, but interrupts `wait`).
run_wrk() {
    local file=$1 url=$2 duration=$3 pid
    shift 3
    timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" "$@" -s "$LUA" "$url" >"$file" &
    pid=$!
    RUNNING+=("$pid")
    if ! wait "$pid"; then
        tail -n 5 "$file" >&2
        die "wrk failed against $url"
    fi
    forget "$pid"
}

# Checks the answer, then runs wrk; sets IDLE_KB, PEAK_KB, RPS, P50, P99, ERRORS and CPU_US
# (server CPU time per request, in microseconds) and CORES ("server / wrk" CPU cores used).
load_run() {
    local name=$1 data=$2
    shift 2
    local port body out ticks0 ticks1 wrk0 wrk1 requests seconds hz
    start_server "$name" "$data" "$@"
    port=$PORT

    sleep "$IDLE_SETTLE"
    IDLE_KB=$(proc_kb "$PID" VmRSS)

    body=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' --data "$QUERY" \
        "http://127.0.0.1:$port/graphql") || die "$name did not answer the query"
    log "  $name answers: $body"
    [[ "$body" == *'"status":"SERVING_REQUESTS"'* ]] || die "$name answered an unexpected body"
    ANSWERS+=("$body")

    local url="http://127.0.0.1:$port/graphql"
    run_wrk "$WORK/$name.warmup" "$url" "$WARMUP"
    ticks0=$(cpu_ticks "$PID")
    children_cpu >"$WORK/wrk0"
    run_wrk "$WORK/$name.wrk" "$url" "$DURATION" --latency
    ticks1=$(cpu_ticks "$PID")
    children_cpu >"$WORK/wrk1"
    wrk0=$(<"$WORK/wrk0")
    wrk1=$(<"$WORK/wrk1")
    out=$(<"$WORK/$name.wrk")
    log "    ${out//$'\n'/$'\n    '}"

    PEAK_KB=$(proc_kb "$PID" VmHWM)
    RPS=$(awk '$1 == "Requests/sec:" { printf "%.0f", $2 }' <<<"$out")
    P50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    P99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    requests=$(awk '$2 == "requests" && $3 == "in" { print $1 }' <<<"$out")
    seconds=$(awk '$2 == "requests" && $3 == "in" { sub(/s,$/, "", $4); print $4 }' <<<"$out")
    hz=$(getconf CLK_TCK)
    CPU_US=$(awk -v t=$(( ticks1 - ticks0 )) -v hz="$hz" -v n="$requests" \
        'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    CORES=$(awk -v t=$(( ticks1 - ticks0 )) -v hz="$hz" -v a="$wrk0" -v b="$wrk1" -v s="$seconds" \
        'BEGIN { printf "%.2f / %.2f", t / hz / s, (b - a) / s }')
    log "  $name: $requests requests in ${seconds}s; CPU cores used, server / wrk: $CORES"
    ERRORS=$(awk '/^ *Non-2xx or 3xx responses:/ { n += $NF }
                  /^ *Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
                  END { print n + 0 }' <<<"$out")
    stop_server "$PID"
    [[ "$ERRORS" == 0 ]] || log "warning: $name had $ERRORS failed requests"
}

# ---- main --------------------------------------------------------------------------------------

command -v wrk >/dev/null || die "wrk is not installed; install it with: apt-get install wrk"
command -v curl >/dev/null || die "curl is not installed; install it with: apt-get install curl"
[[ -f "$LUA" ]] || die "missing $LUA"

if [[ -n "${BENCH_BIN_DIR:-}" ]]; then
    BIN_DIR=$BENCH_BIN_DIR
    log "measuring the prebuilt binaries in $BIN_DIR"
else
    log "building (dist profile): datapm-registry and examples/bare_graphql"
    (cd "$ROOT" && cargo build --profile dist --quiet --bin datapm-registry --example bare_graphql) \
        || die "cargo build --profile dist failed"
    BIN_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/dist"
fi
REGISTRY_BIN="$BIN_DIR/datapm-registry"
BARE_BIN="$BIN_DIR/examples/bare_graphql"
[[ -x "$REGISTRY_BIN" && -x "$BARE_BIN" ]] || die "binaries not found under $BIN_DIR"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/datapm-bench.XXXXXX")
ANSWERS=()
read -r LOAD1 _ < /proc/loadavg
if awk -v l="$LOAD1" 'BEGIN { exit !(l > 0.5) }'; then
    log "warning: load average is $LOAD1 before starting; other work will skew the figures"
fi

log "start-up: $START_RUNS launches per row"
# One untimed launch creates the 'existing' data dir and brings the binary into the page cache.
time_start registry "$WORK/registry-existing"
start_row registry fresh
START_FRESH=$ROW
start_row registry existing
START_EXISTING=$ROW
time_start bare ""
start_row bare none
START_BARE=$ROW

log "load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up)"
load_run registry "$WORK/registry-load"
R_IDLE=$IDLE_KB R_PEAK=$PEAK_KB R_RPS=$RPS R_P50=$P50 R_P99=$P99 R_ERR=$ERRORS R_CPU=$CPU_US R_CORES=$CORES
load_run registry-warn "$WORK/registry-warn" RUST_LOG=warn
W_IDLE=$IDLE_KB W_PEAK=$PEAK_KB W_RPS=$RPS W_P50=$P50 W_P99=$P99 W_ERR=$ERRORS W_CPU=$CPU_US W_CORES=$CORES
load_run bare ""
B_IDLE=$IDLE_KB B_PEAK=$PEAK_KB B_RPS=$RPS B_P50=$P50 B_P99=$P99 B_ERR=$ERRORS B_CPU=$CPU_US B_CORES=$CORES

[[ "${ANSWERS[0]}" == "${ANSWERS[2]}" ]] \
    || log "warning: the bare server's answer differs from the registry's"

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]] || COMMIT="$COMMIT (with uncommitted changes)"
CPU_MODEL=$(awk -F': ' '$1 ~ /^model name/ { print $2; exit }' /proc/cpuinfo)

# Marks a registry figure against its target.
verdict() { if "$@"; then echo "✓"; else echo "✗ misses"; fi; }
ms_of() { echo "${1%% ms*}"; }
errors_note() { [[ "$1" == 0 ]] || echo " ($1 failed)"; }

cat <<EOF
Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $COMMIT on $(nproc) × $CPU_MODEL
($(rustc --version 2>/dev/null || echo "rustc unknown"); $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2));
load average when the run started: $LOAD1.

| measure | datapm-registry | bare async-graphql (ceiling) | original Node (published) | target |
| --- | --- | --- | --- | --- |
| start-up to first /healthz answer, SQLite, fresh data dir (median of $START_RUNS, min–max) | $START_FRESH $(verdict test "$(ms_of "$START_FRESH")" -lt 500) | $START_BARE (no data dir) | 1.7–4.3 s | < 0.5 s |
| start-up to first /healthz answer, SQLite, existing data dir (median of $START_RUNS, min–max) | $START_EXISTING $(verdict test "$(ms_of "$START_EXISTING")" -lt 500) | — | 1.7–4.3 s | < 0.5 s |
| idle RSS after start (VmRSS) | $(mib "$R_IDLE") $(verdict test "$R_IDLE" -lt "$IDLE_RSS_TARGET_KB") | $(mib "$B_IDLE") | 225 MB | < 20 MB |
| peak RSS after the load test (VmHWM) | $(mib "$R_PEAK") | $(mib "$B_PEAK") | not published | — |
| registryStatus throughput, $CONNECTIONS connections, $THREADS wrk threads, $DURATION | $(thousands "$R_RPS") req/s$(errors_note "$R_ERR") $(verdict test "$R_RPS" -ge 40000) | $(thousands "$B_RPS") req/s$(errors_note "$B_ERR") | ~3,500 req/s | ≥ 40,000 req/s |
| registryStatus latency p50 / p99 | $R_P50 / $R_P99 | $B_P50 / $B_P99 | 7.5 ms / not published | reported |
| server CPU time per request (user + system, during the load test) | $R_CPU µs | $B_CPU µs | — | — |
| CPU cores busy during the load test, server / wrk (of $(nproc)) | $R_CORES | $B_CORES | — | — |
| registryStatus throughput with RUST_LOG=warn (no per-request log line) | $(thousands "$W_RPS") req/s$(errors_note "$W_ERR") $(verdict test "$W_RPS" -ge 40000) | — | — | ≥ 40,000 req/s |
| registryStatus latency p50 / p99 with RUST_LOG=warn | $W_P50 / $W_P99 | — | — | reported |
| server CPU time per request with RUST_LOG=warn; cores busy, server / wrk | $W_CPU µs; $W_CORES | — | — | — |
| idle / peak RSS with RUST_LOG=warn | $(mib "$W_IDLE") / $(mib "$W_PEAK") | — | — | < 20 MB idle |

The "original Node (published)" column is quoted from the original server's published figures; it was not measured in this run.
EOF
