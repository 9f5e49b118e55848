#!/usr/bin/env bash
# Times searchPackages and autoComplete over 100,000 packages on SQLite and PostgreSQL through
# the real server (examples/search_bench.rs). Prints a markdown table; details go to stderr.
#
#   bench/search.sh                 # both databases, 100,000 packages, 200 rounds per query
#   BENCH_PACKAGES=10000 BENCH_ROUNDS=50 BENCH_BACKENDS=sqlite bench/search.sh
#
# PostgreSQL needs DATAPM_TEST_DATABASE_URL (a server where it may create and drop a database).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=${BENCH_PACKAGES:-100000}
rounds=${BENCH_ROUNDS:-200}
backends=${BENCH_BACKENDS:-sqlite postgres}

echo "when: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
  echo "warning: the load average is $load; other work shares the cores and slows the figures" >&2
fi

cargo build --release --example search_bench >&2
bin=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}/release/examples/search_bench

first=1
for backend in $backends; do
  if [ "$first" = 1 ]; then
    "$bin" "$backend" "$packages" "$rounds"
    first=0
  else
    "$bin" "$backend" "$packages" "$rounds" | tail -n +3
  fi
done
