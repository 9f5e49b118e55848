#!/usr/bin/env bash
# Backup and restore of a registry with 100,000 rows and 1 GB of stored objects, side by side
# with `tar -c <storage dir> | zstd` (and `zstd -d | tar -x`) of the same objects in the same
# run, with each command's wall time and peak resident memory (GNU time's %M).
#
#   bench/backup.sh                 # builds --release, seeds, measures; a markdown table on stdout
#
# Knobs: BENCH_ROWS (default 100000), BENCH_BYTES (default 1073741824), BENCH_RUNS (default 3;
# the table shows the median), BENCH_BIN_DIR (measure binaries kept elsewhere). Everything lives
# in a temporary folder that is removed on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=${BENCH_ROWS:-100000}
bytes=${BENCH_BYTES:-1073741824}
runs=${BENCH_RUNS:-3}
command -v zstd >/dev/null || { echo "zstd is needed (apt-get install zstd)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is needed (apt-get install time)" >&2; exit 1; }

if [ -z "${BENCH_BIN_DIR:-}" ]; then
  cargo build --release --bin datapm-registry --example backup_seed >&2
  target=$(cargo metadata --format-version 1 --no-deps | sed 's/.*"target_directory":"\([^"]*\)".*/\1/')
  BENCH_BIN_DIR="$target/release"
fi
bin="$BENCH_BIN_DIR/datapm-registry"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BENCH_BIN_DIR/examples/backup_seed" "$work/source" "$rows" "$bytes" >&2

# One timed run: prints "seconds kilobytes".
timed() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" ||
    { cat "$work/stderr" >&2; exit 1; }
  cat "$work/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Runs end up in pipelines (subshells), so each command's figures are kept in a file.
record() { cat >>"$work/$1.figures"; }

# Warm the page cache so that neither side pays for the first read from disk.
tar -c -C "$work/source" storage registry.db >/dev/null

for run in $(seq 1 "$runs"); do
  rm -rf "$work"/*.tar.zst "$work/plain" "$work/restored"
  timed sh -c "tar -c -C '$work/source' storage | zstd -q -3 -o '$work/plain.tar.zst'" | record tar_backup
  timed env DATAPM_DATA_DIR="$work/source" "$bin" backup --quiet --to "$work/registry.tar.zst" | record backup
  mkdir -p "$work/plain"
  timed sh -c "zstd -q -d -c '$work/plain.tar.zst' | tar -x -C '$work/plain'" | record tar_restore
  timed env DATAPM_DATA_DIR="$work/restored" "$bin" restore --quiet --from "$work/registry.tar.zst" | record restore
  timed "$bin" restore --quiet --check --from "$work/registry.tar.zst" | record check
  echo "run $run of $runs done" >&2
done

row() {
  local name=$1 base=$2 label=$3
  local s m b
  s=$(cut -d' ' -f1 "$work/$name.figures" | median)
  m=$(cut -d' ' -f2 "$work/$name.figures" | median)
  if [ -n "$base" ]; then
    b=$(cut -d' ' -f1 "$work/$base.figures" | median)
    ratio=$(awk -v a="$s" -v b="$b" 'BEGIN { printf "%.2f×", a / b }')
  else
    ratio="–"
  fi
  printf '| %s | %s s | %s | %d MB |\n' "$label" "$s" "$ratio" $((m / 1024))
}

echo "$(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "archive $(stat -c %s "$work/registry.tar.zst") bytes, tar|zstd $(stat -c %s "$work/plain.tar.zst") bytes; median of $runs runs"
echo
echo "| command | time | vs tar/zstd | peak RSS |"
echo "| --- | --- | --- | --- |"
row tar_backup "" "\`tar -c storage | zstd -3\`"
row backup tar_backup "\`datapm-registry backup\`"
row tar_restore "" "\`zstd -d | tar -x\`"
row restore tar_restore "\`datapm-registry restore\`"
row check tar_restore "\`datapm-registry restore --check\`"
