#!/usr/bin/env bash
# curl's own SigV4 signer against the local service: create a gallery, register a face, search;
# then a wrong secret and a date 6 minutes old must get 403.
# Usage: curl_sigv4.sh URL ACCESS_KEY SECRET FACE.jpg PROBE.jpg
set -euo pipefail
URL="$1"; AK="$2"; SK="$3"; FACE="$4"; PROBE="$5"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
SIGV4="aws:amz:ap-southeast-2:execute-api"

# call EXPECTED_STATUS OUT_FILE curl-args...
call() {
    local want="$1" out="$2"; shift 2
    local got
    got="$(curl -sS -o "$out" -w '%{http_code}' --aws-sigv4 "$SIGV4" "$@")"
    if [ "$got" != "$want" ]; then
        echo "curl: expected $want, got $got for $*" >&2
        cat "$out" >&2; echo >&2
        return 1
    fi
}

NAME="curl-$$-$RANDOM"
call 200 "$TMP/gallery.json" --user "$AK:$SK" -H 'content-type: application/json' \
    --data-binary "{\"name\":\"$NAME\",\"description\":\"curl\",\"faceMinimumQualityScore\":0.5,\"size\":100}" \
    "$URL/api/galleries"
KEY="$(sed -n 's/.*"apiKey":"\([^"]*\)".*/\1/p' "$TMP/gallery.json")"
[ -n "$KEY" ] || { echo "curl: no apiKey in $(cat "$TMP/gallery.json")" >&2; exit 1; }

printf '{"face":"%s"}' "$(base64 -w0 "$FACE")" >"$TMP/register.json"
call 201 "$TMP/subject.json" --user "$AK:$SK" -H 'content-type: application/json' -H "x-api-key: $KEY" \
    --data-binary @"$TMP/register.json" "$URL/v1.1/subjects"
SUBJECT="$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$TMP/subject.json" | head -n1)"

printf '{"probe":"%s","limit":5}' "$(base64 -w0 "$PROBE")" >"$TMP/search.json"
call 200 "$TMP/found.json" --user "$AK:$SK" -H 'content-type: application/json' -H "x-api-key: $KEY" \
    --data-binary @"$TMP/search.json" "$URL/v1.1/face/search"
grep -q "\"id\":\"$SUBJECT\"" "$TMP/found.json" || { echo "curl: search did not find the subject" >&2; exit 1; }

# The same requests, refused.
call 403 "$TMP/wrong.json" --user "$AK:wrong-$SK" -H 'content-type: application/json' -H "x-api-key: $KEY" \
    --data-binary @"$TMP/search.json" "$URL/v1.1/face/search"
OLD="$(date -u -d '-6 min' +%Y%m%dT%H%M%SZ)"
call 403 "$TMP/old.json" --user "$AK:$SK" -H "x-amz-date: $OLD" -H 'content-type: application/json' \
    -H "x-api-key: $KEY" --data-binary @"$TMP/search.json" "$URL/v1.1/face/search"
grep -q 'Signature expired' "$TMP/old.json" || { echo "curl: no expiry message: $(cat "$TMP/old.json")" >&2; exit 1; }
echo "curl: gallery, register, search accepted; wrong secret and stale date refused"
