#!/usr/bin/env bash
# Client-compatibility checks of the local NEC ID service, with clients no one here wrote:
#   1. curl --aws-sigv4 "aws:amz:ap-southeast-2:execute-api" --user AK:SK   (curl_sigv4.sh)
#   2. botocore's SigV4 signer                                              (botocore_client.py)
#   3. schemathesis against GET /openapi.json, every request SigV4-signed   (schemathesis_test.py)
# Each creates a gallery, registers a face and searches; the same requests with a wrong secret,
# a date 6 minutes old or a body changed after signing must get 403.
#
# Usage: scripts/compat/run.sh [PATH/TO/necid-server]
# Needs: curl (>= 7.75), python3 with `botocore`, `schemathesis` and `pytest` (PYTHON=... to pick
# an interpreter, e.g. a venv), the face models (scripts/fetch-models) and ../shared/testdata.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-}"
PYTHON="${PYTHON:-python3}"
TESTDATA="${NECID_TESTDATA:-$ROOT/../shared/testdata}"

if [ -z "$BIN" ]; then
    (cd "$ROOT" && cargo build -q -p necid-server --bin necid-server)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/necid-server"
fi
[ -x "$BIN" ] || { echo "compat: no server binary at $BIN" >&2; exit 1; }
[ -d "$TESTDATA/faces" ] || { echo "compat: no test data at $TESTDATA" >&2; exit 1; }

DATA="$(mktemp -d)"
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$DATA/service" >"$DATA/stdout" 2>"$DATA/stderr" &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

URL=""
for _ in $(seq 1 600); do
    URL="$(sed -n 's/^listening on //p' "$DATA/stdout" | head -n1)"
    [ -n "$URL" ] && break
    kill -0 "$PID" 2>/dev/null || { cat "$DATA/stderr" >&2; echo "compat: the server exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$URL" ] || { echo "compat: the server did not start" >&2; exit 1; }

CREDS="$("$BIN" credentials --data-dir "$DATA/service" --json)"
AK="$(printf '%s' "$CREDS" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["accessKeyId"])')"
SK="$(printf '%s' "$CREDS" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["secretAccessKey"])')"
FACE="$TESTDATA/faces/obama/1.jpg"
PROBE="$TESTDATA/faces/obama/3.jpg"

passed=0
failed=0
run() {
    local name="$1"; shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}
run "curl --aws-sigv4" bash "$HERE/curl_sigv4.sh" "$URL" "$AK" "$SK" "$FACE" "$PROBE"
run "botocore SigV4Auth" "$PYTHON" "$HERE/botocore_client.py" "$URL" "$AK" "$SK" "$FACE" "$PROBE"
run "schemathesis" env NECID_URL="$URL" NECID_AK="$AK" NECID_SK="$SK" \
    "$PYTHON" -m pytest -q -p no:cacheprovider "$HERE/schemathesis_test.py"
echo "compat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
