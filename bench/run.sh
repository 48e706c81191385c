#!/usr/bin/env bash
# The speed table: personac side by side with the hand-written Python peer
# (bench/ref_pipeline.py) and the I/O floor, in one run, on the
# synthetic repositories of bench/gen_corpus.py.
#
#   bench/run.sh [SIZES...]        default: 1000 10000 personas
#
# Rows: cold build (time, peak memory, ratio to the peer and to the floor),
# no-op rebuild, `check`, `show` and `manifest` of one persona, `diff` of a
# one-part change, watch latency (edit to artifacts) and the latency of a
# validated write through the MCP server, the language server (diagnostics
# after a change, completion, hover: bench/lsp_latency.py), the preview's
# save-to-page latency beside the watch's (median of 20 saves:
# bench/preview_latency.py); then the 50-agent import.
#
# Set BENCH_DIR to choose where the corpora are made (default: a temp dir on
# /dev/shm when there is one, so that a noisy shared disk does not decide the
# figures). The peer needs PyYAML and Jinja2 (`pip install pyyaml jinja2`).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import yaml, jinja2' 2>/dev/null || { echo "bench: the peer needs PyYAML and Jinja2: pip install pyyaml jinja2" >&2; exit 2; }

cargo build --release --quiet
bin=$PWD/target/release/personac
base=${BENCH_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}" )}
dir=$(mktemp -d "$base/personac-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

echo "personac $("$bin" --version | cut -d' ' -f2), $(nproc) cores, corpora in $base"
python3 bench/table.py "$bin" "$dir" "$@"
echo
python3 bench/import_50.py "$bin" | sed 's/^/import of 50 agents: /'
