#!/usr/bin/env python3
"""Latency of a member agent's health check, from one process (no process start per request).

  health-latency.py HOST PORT PATH [--count N] [--interval-ms MS] [--seconds S] [--timeout S]

Sends GET PATH (e.g. /primary) to HOST:PORT, one request at a time, each over a new TCP
connection as HAProxy's check does (connect, send, read the whole answer, close). With
--interval-ms the requests start that far apart (a request that takes longer delays the next
one; none overlap); without it they run back to back. Stops after --count requests, or after
--seconds when that comes first (both bounded: --count defaults to 200, --timeout to 1 s per
request, so the run lasts at most count * (timeout + interval)).

Prints one line on stdout (milliseconds, from just before connect() to the end of the answer):

  n=N ok=N non200=N errors=N p50=F p90=F p99=F max=F mean=F wall=F statuses=200:N,...

non200 counts answers with another status, errors the requests that got no answer (refused,
reset, timeout); both are in the latency figures (an error at the time it failed). p99 over
fewer than 100 samples is the maximum.
"""
import argparse
import socket
import sys
import time


def one(host, port, path, timeout):
    """Returns (status or None, seconds)."""
    request = ("GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode()
    t0 = time.perf_counter()
    status = None
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(request)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        line = data.split(b"\r\n", 1)[0].split()
        if len(line) >= 2 and line[1].isdigit():
            status = int(line[1])
    except OSError:
        status = None
    return status, time.perf_counter() - t0


def percentile(sorted_ms, p):
    # nearest rank: the smallest sample with at least p % of the samples at or below it
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, -(-len(sorted_ms) * p // 100) - 1))
    return sorted_ms[int(k)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--interval-ms", type=float, default=0.0)
    ap.add_argument("--seconds", type=float, default=0.0)
    ap.add_argument("--timeout", type=float, default=1.0)
    a = ap.parse_args()
    if a.count < 1 or a.count > 100000:
        ap.error("--count must be 1..100000")
    lat = []
    statuses = {}
    errors = 0
    start = time.perf_counter()
    next_at = start
    for _ in range(a.count):
        if a.seconds and time.perf_counter() - start >= a.seconds:
            break
        if a.interval_ms:
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            next_at = max(next_at + a.interval_ms / 1000.0, time.perf_counter())
        status, secs = one(a.host, a.port, a.path, a.timeout)
        lat.append(secs * 1000.0)
        if status is None:
            errors += 1
        else:
            statuses[status] = statuses.get(status, 0) + 1
    wall = time.perf_counter() - start
    s = sorted(lat)
    ok = statuses.get(200, 0)
    print("n=%d ok=%d non200=%d errors=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f mean=%.2f wall=%.3f statuses=%s" % (
        len(lat), ok, len(lat) - ok - errors, errors, percentile(s, 50), percentile(s, 90), percentile(s, 99),
        s[-1] if s else float("nan"), sum(s) / len(s) if s else float("nan"), wall,
        ",".join("%d:%d" % kv for kv in sorted(statuses.items())) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
