#!/usr/bin/env bash
# Uploads and fetches the 200,000 rows of the orders-large fixture through the Socket.IO data
# channel at /ws/, with the DataPM CLI's own client libraries (tests/socket-client, 1,000 records
# per upload message as a sink batch, 250 per fetched message as the server sends them), against
# a release build on SQLite, and reports records per second each way and the server's peak
# resident memory (VmHWM) over the whole run. Prints a markdown table.
#
#   bench/socket.sh                 # builds --release, measures; needs node and `npm ci` done
#
# Knobs: BENCH_RUNS (default 3; the table shows the median), BENCH_BIN_DIR (measure the
# datapm-registry binary in this folder instead of building), DATAPM_FIXTURES_DIR (the fixture
# packages, default ../shared/fixtures/packages beside the repository). Everything lives in a
# temporary folder that is removed on any exit, with the server.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
fixtures=${DATAPM_FIXTURES_DIR:-$PWD/../shared/fixtures/packages}
client=tests/socket-client
command -v node >/dev/null || { echo "node (20) is needed" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed (apt-get install curl)" >&2; exit 1; }
[ -d "$client/node_modules/socket.io-client" ] || { echo "run \`npm ci\` in $client first" >&2; exit 1; }

if [ -z "${BENCH_BIN_DIR:-}" ]; then
  cargo build --release --bin datapm-registry >&2
  target=$(cargo metadata --format-version 1 --no-deps | sed 's/.*"target_directory":"\([^"]*\)".*/\1/')
  BENCH_BIN_DIR="$target/release"
fi
bin="$BENCH_BIN_DIR/datapm-registry"

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
export DATAPM_DATA_DIR="$work/data" REGISTRY_URL="$url" PORT="$port" ACTIVITY_LOG=false LOG_FORMAT=json

echo "bench-password-1" | "$bin" user create --username bench --email bench@example.com --password-stdin >/dev/null 2>&1
key=$("$bin" user create-api-key --username bench 2>/dev/null | tail -n 1)

"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break; sleep 0.25; done
curl -fsS -o /dev/null "$url/healthz" || { cat "$work/server.log" >&2; exit 1; }

# Publish orders-large with SCHEMA_AND_DATA as `datapm publish` sends it.
python3 - "$url" "$key" "$fixtures/orders-large" <<'PY'
import json, sys, urllib.request
url, key, folder = sys.argv[1:]
file = json.load(open(f"{folder}/orders-large-1.0.0.datapm.json"))
for name, text in (("readmeFile", "readmeMarkdown"), ("licenseFile", "licenseMarkdown")):
    if name in file:
        file[text] = open(f"{folder}/{file.pop(name)}").read()
file["registries"] = [{"url": url, "catalogSlug": "bench", "publishMethod": "SCHEMA_AND_DATA"}]
def graphql(query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json", "X-API-Key": key})
    answer = json.load(urllib.request.urlopen(request))
    if answer.get("errors"):
        sys.exit(f"publishing failed: {answer['errors']}")
ident = {"catalogSlug": "bench", "packageSlug": "orders-large"}
graphql("mutation($v: CreatePackageInput!) { createPackage(value: $v) { displayName } }",
        {"v": {**ident, "displayName": file["displayName"], "description": file.get("description")}})
graphql("mutation($i: PackageIdentifierInput!, $v: CreateVersionInput!) { createVersion(identifier: $i, value: $v) { createdAt } }",
        {"i": ident, "v": {"packageFile": json.dumps(file)}})
PY

idle_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
for run in $(seq 1 "$runs"); do
  REGISTRY_URL="$url" OWNER_KEY="$key" READER_KEY="$key" CATALOG=bench \
    DATA_DIR="$fixtures/../data" SCENARIOS="orders-large 200,000 rows up and down" \
    node "$client/data-channel.js" >"$work/run-$run.out" || { cat "$work/run-$run.out" >&2; exit 1; }
  echo "run $run of $runs done" >&2
done
peak_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")

figure() { cat "$work"/run-*.out | sed -n "s/^figure $1=//p" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
up=$(figure upload_records_per_s)
down=$(figure fetch_records_per_s)

echo "$(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg); node $(node --version), transport $(figure transport); median of $runs runs"
echo
echo "| orders-large, 200,000 records | figure | target |"
echo "| --- | --- | --- |"
echo "| upload (1,000 per message, each acknowledged once stored) | $up records/s | ≥ 50,000 |"
echo "| fetch (250 per message, each acknowledged) | $down records/s | ≥ 100,000 |"
echo "| server RSS idle before / peak over all runs | $((idle_kb / 1024)) MB / $((peak_kb / 1024)) MB | < 100 MB |"
