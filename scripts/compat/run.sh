#!/usr/bin/env bash
# Client-compatibility checks of the local NEC ID service, with clients no one here wrote:
#   1. curl --aws-sigv4 "aws:amz:ap-southeast-2:execute-api" --user AK:SK   (curl_sigv4.sh)
#   2. botocore's SigV4 signer                                              (botocore_client.py)
#   3. schemathesis against GET /openapi.json, every request SigV4-signed   (schemathesis_test.py)
# Each creates a gallery, registers a face and searches; the same requests with a wrong secret,
# a date 6 minutes old or a body changed after signing must get 403.
# The three run twice: on the default SQLite store, then on PostgreSQL (a private cluster of the
# Debian package's server, as the service's tests start it) when its binaries are installed.
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

PG_BIN="${NECID_PG_BIN:-/usr/lib/postgresql/15/bin}"
FACE="$TESTDATA/faces/obama/1.jpg"
PROBE="$TESTDATA/faces/obama/3.jpg"
DATA="$(mktemp -d /tmp/necid-compat.XXXXXX)"
PID=""
PG_AS=()
cleanup() {
    [ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
    if [ -d "$DATA/pg/data" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT

# Starts `necid-server serve ARGS...` and sets URL once it listens.
serve() {
    "$BIN" serve --listen 127.0.0.1:0 "$@" >"$DATA/stdout" 2>"$DATA/stderr" &
    PID=$!
    URL=""
    for _ in $(seq 1 600); do
        URL="$(sed -n 's/^listening on //p' "$DATA/stdout" | head -n1)"
        [ -n "$URL" ] && return 0
        kill -0 "$PID" 2>/dev/null || { cat "$DATA/stderr" >&2; echo "compat: the server exited" >&2; exit 1; }
        sleep 0.1
    done
    echo "compat: the server did not start" >&2
    exit 1
}

stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }

# A private PostgreSQL cluster on a free loopback port; sets DATABASE_URL.
start_postgres() {
    mkdir -p "$DATA/pg"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$DATA/pg"
        chmod 755 "$DATA"
        PG_AS=(runuser -u postgres --)
    else
        PG_AS=(env)
    fi
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$DATA/pg/data" --auth=trust -U postgres --no-sync -E UTF8 >/dev/null
    local port
    port="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA/pg/data" -w -l "$DATA/pg/log" \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$DATA/pg -c fsync=off" \
        start >/dev/null
    DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

passed=0
failed=0
run() {
    local name="$1"; shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name" >&2; fi
}

# The three clients against the service at URL, signing with the keys in CREDS; $1 names the store.
check_clients() {
    local store="$1" ak sk
    ak="$(printf '%s' "$CREDS" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["accessKeyId"])')"
    sk="$(printf '%s' "$CREDS" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["secretAccessKey"])')"
    run "curl --aws-sigv4 ($store)" bash "$HERE/curl_sigv4.sh" "$URL" "$ak" "$sk" "$FACE" "$PROBE"
    run "botocore SigV4Auth ($store)" "$PYTHON" "$HERE/botocore_client.py" "$URL" "$ak" "$sk" "$FACE" "$PROBE"
    run "schemathesis ($store)" env NECID_URL="$URL" NECID_AK="$ak" NECID_SK="$sk" \
        "$PYTHON" -m pytest -q -p no:cacheprovider "$HERE/schemathesis_test.py"
}

serve --data-dir "$DATA/service"
CREDS="$("$BIN" credentials --data-dir "$DATA/service" --json)"
check_clients SQLite
stop

if [ -x "$PG_BIN/initdb" ]; then
    start_postgres
    "$BIN" migrate --database-url "$DATABASE_URL" >/dev/null
    mkdir -p "$DATA/bucket"
    serve --database-url "$DATABASE_URL" --bucket-url "file://$DATA/bucket"
    CREDS="$("$BIN" credentials --database-url "$DATABASE_URL" --json)"
    check_clients PostgreSQL
    stop
else
    echo "compat: no PostgreSQL server in $PG_BIN, the PostgreSQL pass is skipped" >&2
    [ -n "${CI:-}" ] && { echo "compat: CI must run the PostgreSQL pass" >&2; exit 1; }
fi

echo "compat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
