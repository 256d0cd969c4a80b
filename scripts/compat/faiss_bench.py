#!/usr/bin/env python3
"""faiss-cpu's exact IndexFlatIP on the vectors `necid-server bench search --dump DIR` used, one
probe at a time, and a check that both return the same top-k rows.

Usage: faiss_bench.py DIR K     (prints one JSON line: {"n", "p50_ms", "p99_ms", "same_topk"})
"""
import json
import sys
import time

import faiss
import numpy as np

d, k = sys.argv[1], int(sys.argv[2])
base = np.fromfile(f"{d}/base.f32", dtype="<f4").reshape(-1, 128)
queries = np.fromfile(f"{d}/queries.f32", dtype="<f4").reshape(-1, 128)
ours = np.fromfile(f"{d}/ids.i64", dtype="<i8").reshape(len(queries), -1)
index = faiss.IndexFlatIP(128)
index.add(base)
index.search(queries[:1], k)  # warm-up, as the Rust bench does
times, same = [], 0
for i, q in enumerate(queries):
    t = time.perf_counter()
    _, ids = index.search(q.reshape(1, 128), k)
    times.append((time.perf_counter() - t) * 1000)
    # Ties aside, both are exact: the same rows in the same order.
    same += int(list(ids[0]) == list(ours[i]))
times.sort()
pct = lambda p: times[round((len(times) - 1) * p)]
print(json.dumps({"n": len(base), "p50_ms": round(pct(0.5), 3), "p99_ms": round(pct(0.99), 3),
                  "same_topk": f"{same}/{len(queries)}", "faiss_threads": faiss.omp_get_max_threads()}))
