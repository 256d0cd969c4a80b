#!/usr/bin/env bash
# Search latency, side by side in the same run: necid-server's exact index against faiss-cpu's
# IndexFlatIP on the same vectors, one probe at a time, at 10k, 100k and 1M descriptors.
# Usage: scripts/compat/bench_search.sh [PATH/TO/necid-server (release)]   (PYTHON=venv python)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-${CARGO_TARGET_DIR:-$ROOT/target}/release/necid-server}"
PYTHON="${PYTHON:-python3}"
QUERIES="${QUERIES:-200}"
DUMP="$(mktemp -d)"; trap 'rm -rf "$DUMP"' EXIT
for n in 10000 100000 1000000; do
    ours="$("$BIN" bench search --descriptors "$n" --queries "$QUERIES" --dump "$DUMP" 2>/dev/null | tail -n1)"
    theirs="$("$PYTHON" "$HERE/faiss_bench.py" "$DUMP" 10)"
    echo "necid-server $ours"
    echo "faiss        $theirs"
done
