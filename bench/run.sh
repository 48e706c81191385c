#!/usr/bin/env bash
# Prints the figures of the compiler core on the 1,000-persona synthetic
# repository of ../shared/bench/gen_corpus.py: a cold build, a no-op rebuild
# (which must write no file), and `show` of one persona.
#
#   bench/run.sh [PERSONAS] [RUNS]        default: 1000 personas, best of 5
#
# Set BENCH_DIR to choose where the corpus is made (default: a temp dir on
# /dev/shm when there is one, so that a noisy shared disk does not decide the
# figures; run with BENCH_DIR=/tmp/x to include a real disk).
set -euo pipefail
cd "$(dirname "$0")/.."
personas=${1:-1000}
runs=${2:-5}
gen=../shared/bench/gen_corpus.py
[ -f "$gen" ] || { echo "bench: $gen not found" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/personac
base=${BENCH_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}" )}
dir=$(mktemp -d "$base/personac-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
python3 "$gen" "$dir/repo" --personas "$personas" >/dev/null
echo "corpus: $(find "$dir/repo" -type f | wc -l) files, $personas personas, in $dir"

# best-of-N wall time of a command, in milliseconds
best() {
  local best_ms=999999 start end ms
  for _ in $(seq "$runs"); do
    [ -n "${BEFORE:-}" ] && eval "$BEFORE"
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    (( ms < best_ms )) && best_ms=$ms
  done
  echo "$best_ms"
}

cold=$(BEFORE="rm -rf '$dir/repo/build-output'" best "$bin" -q -C "$dir/repo" build)
"$bin" -q -C "$dir/repo" build
noop=$(best "$bin" -q -C "$dir/repo" build)
written=$("$bin" -C "$dir/repo" build --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["written"]))')
show=$(best "$bin" -C "$dir/repo" show persona-00042)
show_json=$(best "$bin" -C "$dir/repo" show persona-00042 --format json)

# Two revisions that differ in one part, for diff.
git -C "$dir/repo" init -q -b main
git -C "$dir/repo" -c user.name=bench -c user.email=bench@example.com add -A
git -C "$dir/repo" -c user.name=bench -c user.email=bench@example.com commit -qm base
parts=("$dir"/repo/parts/tone/*.md)
part=${parts[0]}
sed -i 's/Always speak for/Always speak kindly for/' "$part"
git -C "$dir/repo" -c user.name=bench -c user.email=bench@example.com commit -qam "one part"
diff_ms=$(best "$bin" -C "$dir/repo" diff HEAD~1 HEAD)
changed=$("$bin" -C "$dir/repo" diff HEAD~1 HEAD --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["personas"]))')

printf '%-34s %6s ms   (target < 1000)\n' "cold build" "$cold"
printf '%-34s %6s ms   (target < 300), files written: %s\n' "no-op rebuild" "$noop" "$written"
printf '%-34s %6s ms\n' "show (markdown, no token count)" "$show"
printf '%-34s %6s ms\n' "show --format json (counts tokens)" "$show_json"
printf '%-34s %6s ms   (target well under 1000), personas changed: %s\n' "diff HEAD~1 HEAD (one part)" "$diff_ms" "$changed"
"$bin" -v -C "$dir/repo" build 2>&1 | grep Timings | sed 's/^ */no-op phases: /'
python3 bench/watch_latency.py "$dir/repo" "$bin" | sed 's/^/watch: /'
