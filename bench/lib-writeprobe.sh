# bench/lib-writeprobe.sh — what the failover benchmarks (failover-bench.sh, swarm-bench.sh) share:
# reading bench/WriteProbe.java's CSV after a fault, and the table of a run. Sourced, not run.

# outage CSV FAULT_MS [END_MS] → "seconds span": the write outage after FAULT_MS, the longest gap
# between consecutive acknowledged inserts that ends after the fault. With END_MS (when the probe
# stopped): "-1 no-write-acknowledged-after-…" when writes had not come back by then — the outage
# was longer than the probe saw, and is not counted as a short one.
outage() {
  python3 - "$1" "$2" "${3:-}" <<'PY'
import sys, time
fault = int(sys.argv[2]); end = int(sys.argv[3]) if sys.argv[3] else None
prev = None; worst = -1; span = ''
hms = lambda ms: time.strftime('%H:%M:%S', time.gmtime(ms / 1000)) + '.%03d' % (ms % 1000)
for line in open(sys.argv[1]):
    f = line.split(',')
    if not f[0].isdigit():
        continue
    t = int(f[1])
    if prev is not None and t > fault and t - prev > worst:
        worst = t - prev
        span = '%s-%s' % (hms(prev), hms(t))
    prev = t
if end is not None and (prev is None or end - prev > max(worst, 1000)):
    print(-1, 'no-write-acknowledged-after-%s-until-the-probe-ended' % (hms(prev) if prev else 'the-start'))
else:
    print(round(worst / 1000, 3) if worst >= 0 else -1, span)
PY
}

# results_table RESULTS TITLE [NOTE]: RESULTS has a line "scenario outage_s rejoin_s lost" per run
# (-1: none measured); prints medians, minimum and maximum per scenario, and the runs without a
# measured outage by number.
results_table() {
  python3 - "$1" "$2" "${3:-}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
print()
print(sys.argv[2])
if sys.argv[3]:
    print(sys.argv[3])
print("%-11s %-28s %-34s %s" % ("scenario", "write outage s (med min-max)", "old primary streaming s (med min-max)", "lost writes"))
for scen in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == scen]
    def cell(vals):
        vals = [v for v in vals if v >= 0]
        return "%.2f (%.2f-%.2f)" % (statistics.median(vals), min(vals), max(vals)) if vals else "n/a"
    none = [str(i + 1) for i, r in enumerate(rs) if float(r[1]) < 0]
    print("%-11s %-28s %-34s %s%s" % (scen, cell([float(r[1]) for r in rs]), cell([float(r[2]) for r in rs]),
                                       ",".join(r[3] for r in rs), "; no outage measured: run " + ",".join(none) if none else ""))
PY
}
