#!/usr/bin/env python3
"""Server-side latency of HTTP exchanges in a packet capture: request in → first answer byte out.

  pcap-latency.py CAPTURE SERVER_IP PORT

Reads CAPTURE (tcpdump -w, any interface) with `tcpdump -r -nn -tt -q` and, for each TCP
connection to SERVER_IP:PORT, takes the kernel's timestamp of the first packet carrying the
client's request and of the first packet carrying the server's answer. That difference is the
time the server (here a member's agent) took, scheduling included, without the client's own
delays. A packet seen on two interfaces (a bridge and a veth) counts at its first sighting.

Prints one line per client address (milliseconds):

  CLIENT n=N p50=F p90=F p99=F max=F

p99 over fewer than 100 samples is the maximum. Asserts nothing.
"""
import collections
import re
import subprocess
import sys

LINE = re.compile(r'^(\d+\.\d+) (?:\S+ +\S+ +)?IP (\S+)\.(\d+) > (\S+)\.(\d+): tcp (\d+)')


def percentile(xs, p):
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * p // 100) - 1))]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    capture, server, port = sys.argv[1], sys.argv[2], sys.argv[3]
    out = subprocess.run(["tcpdump", "-r", capture, "-nn", "-tt", "-q"], capture_output=True, text=True, check=True)
    request = {}
    answered = set()
    latencies = collections.defaultdict(list)
    for line in out.stdout.splitlines():
        m = LINE.match(line)
        if not m or int(m[6]) == 0:
            continue
        t, src, sport, dst, dport = float(m[1]), m[2], m[3], m[4], m[5]
        if dst == server and dport == port:
            request.setdefault((src, sport), t)
        elif src == server and sport == port and (dst, dport) in request and (dst, dport) not in answered:
            answered.add((dst, dport))
            latencies[dst].append((t - request[(dst, dport)]) * 1000)
    for client, xs in sorted(latencies.items()):
        xs.sort()
        print("%s n=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f" % (
            client, len(xs), percentile(xs, 50), percentile(xs, 90), percentile(xs, 99), xs[-1]))


if __name__ == "__main__":
    main()
