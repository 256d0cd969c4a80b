#!/usr/bin/env python3
"""botocore's SigV4 signer against the local service: create a gallery, register a face, search;
then a wrong secret, a date 6 minutes old and a body changed after signing must get 403.

Usage: botocore_client.py URL ACCESS_KEY SECRET FACE.jpg PROBE.jpg
"""
import base64
import datetime
import json
import sys
import urllib.error
import urllib.request
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials

URL, AK, SK, FACE, PROBE = sys.argv[1:6]


def call(method, path, body=None, api_key=None, secret=SK, when=None, tamper=None):
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json", "accept": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    req = botocore.awsrequest.AWSRequest(method=method, url=URL + path, data=data, headers=headers)
    auth = botocore.auth.SigV4Auth(botocore.credentials.Credentials(AK, secret), "execute-api", "ap-southeast-2")
    if when is None:
        auth.add_auth(req)
    else:
        # botocore reads the clock through datetime.datetime in botocore.auth.
        real = datetime.datetime

        class Frozen(real):
            @classmethod
            def utcnow(cls):
                return when.replace(tzinfo=None)

            @classmethod
            def now(cls, tz=None):
                return when if tz else when.replace(tzinfo=None)

        with mock.patch.object(botocore.auth.datetime, "datetime", Frozen):
            auth.add_auth(req)
    prepared = req.prepare()
    sent = prepared.body or b""
    if isinstance(sent, str):
        sent = sent.encode()
    if tamper:
        sent = tamper(sent)
    r = urllib.request.Request(prepared.url, data=sent if method != "GET" else None,
                               headers=dict(prepared.headers.items()), method=method)
    try:
        with urllib.request.urlopen(r, timeout=120) as res:
            raw = res.read()
            return res.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def expect(want, got, what):
    status, body = got
    if status != want:
        raise SystemExit(f"botocore: {what}: expected {want}, got {status} {body}")
    return body


b64 = lambda p: base64.b64encode(open(p, "rb").read()).decode()
gallery = expect(200, call("POST", "/api/galleries", {"name": f"botocore-{datetime.datetime.now().timestamp()}",
                                                      "description": "botocore", "faceMinimumQualityScore": 0.5,
                                                      "size": 100}), "create gallery")
key = gallery["apiKey"]
subject = expect(201, call("POST", "/v1.1/subjects", {"face": b64(FACE)}, api_key=key), "register")
search_body = {"probe": b64(PROBE), "limit": 5}
found = expect(200, call("POST", "/v1.1/face/search", search_body, api_key=key), "search")
assert found["candidates"][0]["id"] == subject["id"], found

expect(403, call("POST", "/v1.1/face/search", search_body, api_key=key, secret="wrong" + SK), "wrong secret")
old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=6)
stale = expect(403, call("POST", "/v1.1/face/search", search_body, api_key=key, when=old), "6-minute-old date")
assert stale["message"].startswith("Signature expired: "), stale
expect(403, call("POST", "/v1.1/face/search", search_body, api_key=key,
                 tamper=lambda b: b.replace(b'"limit": 5', b'"limit": 6')), "body changed after signing")
expect(403, call("GET", "/api/galleries", secret="wrong" + SK), "wrong secret (GET)")
print("botocore: gallery, register, search accepted; wrong secret, stale date and changed body refused")
