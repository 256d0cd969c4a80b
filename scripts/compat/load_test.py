#!/usr/bin/env python3
"""A loopback load test of a running necid-server, bounded in time: first enrolment throughput
(faces per second, 4 connections), then 32 connections sending a mix of search and verify for
DURATION seconds. Prints throughput, p50/p99 latency and the count of 5xx (which must be 0).

Usage: load_test.py URL ACCESS_KEY SECRET TESTDATA_DIR [DURATION_S]
Only 127.0.0.1 / localhost URLs are accepted.
"""
import base64
import concurrent.futures
import http.client
import json
import sys
import threading
import time
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

URL, AK, SK, DATA = sys.argv[1:5]
DURATION = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
u = urllib.parse.urlparse(URL)
assert u.hostname in ("127.0.0.1", "localhost"), "loopback only"
CREDS = botocore.credentials.Credentials(AK, SK)


def signed(method, path, body, api_key=None):
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    req = botocore.awsrequest.AWSRequest(method=method, url=URL + path, data=data, headers=headers)
    botocore.auth.SigV4Auth(CREDS, "execute-api", "ap-southeast-2").add_auth(req)
    return method, path, data, dict(req.headers.items())


def send(conn, req):
    method, path, data, headers = req
    t = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    res = conn.getresponse()
    raw = res.read()
    return res.status, raw, time.perf_counter() - t


def b64(rel):
    with open(f"{DATA}/faces/{rel}", "rb") as f:
        return base64.b64encode(f.read()).decode()


conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
status, raw, _ = send(conn, signed("POST", "/api/galleries", {"name": f"load-{time.time()}", "description": "",
                                                              "faceMinimumQualityScore": 0.45, "size": 10000}))
assert status == 200, raw
key = json.loads(raw)["apiKey"]

# --- enrolment throughput: 4 connections, 40 faces --------------------------------------------
people = ["john_salley", "john_savage", "john_schneider", "john_simm"]
faces = [f"{p}/{n}.jpg" for p in people for n in range(1, 11)]
bodies = [signed("POST", "/v1.1/subjects", {"face": b64(f)}, key) for f in faces]
ids = {}


def enrol(i):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    s, r, _ = send(c, bodies[i])
    if s == 201:
        ids[faces[i]] = json.loads(r)["id"]
    return s


t = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    statuses = list(pool.map(enrol, range(len(bodies))))
enrol_s = time.perf_counter() - t
print(json.dumps({"enrolment": {"faces": len(bodies), "created": statuses.count(201),
                                "seconds": round(enrol_s, 2), "faces_per_s": round(len(bodies) / enrol_s, 2)}}))

# --- mixed search / verify, 32 connections ----------------------------------------------------
probe_subject = [(f"{p}/11.jpg", ids.get(f"{p}/1.jpg")) for p in people]
lock = threading.Lock()
latencies, statuses, refreshed = [], {}, {"at": 0.0, "reqs": []}


def requests_now():
    # Pre-signed requests are valid for 5 minutes; re-sign every minute.
    with lock:
        if time.time() - refreshed["at"] > 60:
            reqs = []
            for probe, subject in probe_subject:
                img = b64(probe)
                reqs.append(signed("POST", "/v1.1/face/search", {"probe": img, "limit": 5}, key))
                if subject:
                    reqs.append(signed("POST", "/v1.1/face/verify", {"probe": img, "id": subject}, key))
            refreshed["reqs"], refreshed["at"] = reqs, time.time()
        return refreshed["reqs"]


def worker(n, deadline):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
    i = n
    while time.perf_counter() < deadline:
        reqs = requests_now()
        s, _, dt = send(c, reqs[i % len(reqs)])
        i += 1
        with lock:
            latencies.append(dt)
            statuses[s] = statuses.get(s, 0) + 1


start = time.perf_counter()
deadline = start + DURATION
threads = [threading.Thread(target=worker, args=(n, deadline)) for n in range(32)]
for th in threads:
    th.start()
for th in threads:
    th.join()
elapsed = time.perf_counter() - start
latencies.sort()
pct = lambda p: latencies[round((len(latencies) - 1) * p)] * 1000
server_errors = sum(v for k, v in statuses.items() if k >= 500)
print(json.dumps({"load": {"connections": 32, "seconds": round(elapsed, 1), "requests": len(latencies),
                           "per_s": round(len(latencies) / elapsed, 2), "p50_ms": round(pct(0.5), 1),
                           "p99_ms": round(pct(0.99), 1), "statuses": statuses, "5xx": server_errors}}))
sys.exit(1 if server_errors else 0)
